"""Ending a finished process without the interpreter's teardown.

A process that has imported Dagster, DuckDB and pyarrow spends 0.6-1.5 s of CPU at exit freeing
every module and object one by one (bench/README.md, issue 21: a tenth of a small load's CPU).
Nothing on disk depends on it: every file the load wrote is closed by then, and the exit
handlers (logging's flush, the release of pre-started lane processes) still run here. No
Dagster here: the CLI imports this before Dagster.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def exit_now(code: int) -> NoReturn:
    """Run the exit handlers, flush stdout and stderr, and end the process with ``code``."""
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers a normal exit would run
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # noqa: SLF001 - everything is written: skip freeing every object
