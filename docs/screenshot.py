"""Screenshot the Dagster UI's asset graph with headless Chromium (driven by Playwright).

    python docs/screenshot.py URL OUT.png

The UI shows a one-time "join the community" dialog over the first page it serves; a plain
``chromium --screenshot`` cannot dismiss it, so Playwright drives the system's ``chromium``.
"""

import sys

from playwright.sync_api import sync_playwright

url, out = sys.argv[1], sys.argv[2]
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1800, "height": 1100})
    page.goto(url, wait_until="networkidle")
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()
    page.wait_for_timeout(1000)
    page.screenshot(path=out)
    browser.close()
