"""Screenshot the dashboard with headless Chromium (the system's, driven by Playwright).

    python dashboard/screenshot.py URL OUT.png

Streamlit draws the page in the browser after its websocket delivers the script's output, so a
plain ``chromium --screenshot`` catches the loading skeleton; this waits for the last element
then gives the charts time to draw.
"""

import sys
import tempfile

from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

url, out = sys.argv[1], sys.argv[2]
with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
    browser = pw.chromium.launch_persistent_context(
        profile,
        executable_path="/usr/bin/chromium",
        headless=True,
        args=FLAGS,
        viewport={"width": 1500, "height": 1560},  # the page scrolls inside its own container
    )
    page = browser.new_page()
    page.goto(url)
    page.get_by_text("Abandon rate by hour").wait_for(timeout=300_000)
    page.get_by_text("Queues on").wait_for(timeout=120_000)
    page.wait_for_timeout(8000)  # the charts draw after their data arrives
    page.screenshot(path=out)
    browser.close()
