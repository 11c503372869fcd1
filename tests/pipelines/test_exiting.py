"""``exit_now``: a finished load ends without the interpreter's teardown, losing nothing."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import atexit, sys
from pipelines.exiting import exit_now
atexit.register(lambda: print("handler ran"))
print("buffered line")  # block-buffered: stdout is a pipe
exit_now({code})
"""


def test_output_and_exit_handlers_survive_the_fast_exit() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(code=4)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 4
    assert done.stdout.splitlines() == ["buffered line", "handler ran"]
    assert done.stderr == ""


def test_a_closed_reader_is_not_a_traceback() -> None:
    # `wxcc-warehouse status | head -0`: the reader is gone before the last flush.
    script = (
        SCRIPT.format(code=0)
        .replace('print("buffered line")', "sys.stdout.close()")
        .replace('print("handler ran")', "None")
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "Traceback" not in done.stderr
