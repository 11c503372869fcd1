"""Lane processes started ahead of need, so their start-up overlaps the load's own.

A lane's process (``python -m pipelines.runner -``) spends ~1.8 s of CPU importing Dagster and
building the definitions before it can run anything (14 s of wall time on the shared machine at
load 28: bench/README.md, ``bench_two_orgs``). ``wxcc-warehouse load`` knows how many lanes it
may run as soon as it has read its settings, so it starts that many processes first; each
imports while the load plans, and then waits for its lane on stdin. A process given no lane
(every window of it was complete) is ended when the load's lanes are done.

The lane is sent with the variables the load set since the process started (the embedded
sandbox's URL, ``DAGSTER_HOME``), so a pre-started lane runs exactly as a freshly started one.
No Dagster here: the CLI imports this before Dagster.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import IO

# The load's process id, given to each lane process it starts (see die_with_parent).
PARENT_ENV = "WXCC_LANE_PARENT"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h

# Runs in flight at once in one load (one per org and source): each waits on its org's API
# budget, so more lanes cost processes, not throughput of any one org.
MAX_LANES = 8


def lane_limit(orgs: int, per_org: int = 1) -> int:
    """Lanes in flight at once for a load of ``orgs`` orgs whose jobs take up to ``per_org``
    lanes each (``pipelines.lanes.count``): all of an org's lanes of a job at once, since an org
    waiting for a lane leaves its API budget idle (bench/bench_many_orgs.py)."""
    return max(MAX_LANES, orgs * per_org)


@dataclass
class Started:
    process: subprocess.Popen[str]
    errors: IO[str]  # its stderr: a file, since a full pipe would block it
    environ: dict[str, str]  # the environment it started with


_started: list[Started] = []
_lock = threading.Lock()


def start(count: int) -> None:
    """Start ``count`` lane processes now (none when ``count`` < 1)."""
    for _ in range(count):
        errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.runner", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=lane_environ(),
        )
        with _lock:
            _started.append(Started(process, errors, dict(os.environ)))


def take(spec: dict[str, object]) -> Started | None:
    """A started process given ``spec`` (its lane) on stdin, or None when none is left alive.
    Its stdin stays open: the caller sends the lane's steps on it, then closes it."""
    while True:
        with _lock:
            if not _started:
                return None
            found = _started.pop(0)
        if found.process.poll() is not None:
            found.errors.close()
            continue
        now = dict(os.environ)
        message = {
            **spec,
            "environ": {k: v for k, v in now.items() if found.environ.get(k) != v},
            "unset": [k for k in found.environ if k not in now],
        }
        try:
            assert found.process.stdin is not None
            found.process.stdin.write(json.dumps(message) + "\n")
            found.process.stdin.flush()  # kept open: the lane's steps follow on it
        except (BrokenPipeError, OSError):
            found.process.wait()
            found.errors.close()
            continue
        return found


def release() -> None:
    """End every process given no lane: it holds nothing yet (it has only imported), so it is
    killed rather than waited for while it finishes importing."""
    with _lock:
        left, _started[:] = list(_started), []
    for found in left:
        found.process.kill()
        found.process.wait()
        for stream in (found.process.stdin, found.process.stdout, found.errors):
            if stream is not None:
                stream.close()


def lane_environ() -> dict[str, str]:
    """The environment a lane process starts with: this one, and who its load is."""
    return {**os.environ, PARENT_ENV: str(os.getpid())}


def die_with_parent() -> None:
    """In a lane process: end when the load that started it ends, however it ends.

    A load killed outright (SIGKILL, the OOM killer) runs no handler, so it cannot stop its
    lanes; left running, they would go on landing windows of its org while the next load of
    that org (its lock now free) lands the same windows. Linux delivers SIGKILL to this process
    when its parent dies (``PR_SET_PDEATHSIG``); a parent gone before that was set is caught
    by its process id. Elsewhere nothing is set: a killed load's lanes finish their step."""
    expected = os.environ.get(PARENT_ENV)
    if not sys.platform.startswith("linux") or not expected:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not allowed here (a sandbox without prctl): as elsewhere
    if os.getppid() != int(expected):
        os._exit(1)  # noqa: SLF001 - the load is gone already: nothing of it to finish


def read_lane() -> dict[str, object] | None:
    """In a started process: its lane, with the load's environment applied; None: no lane."""
    line = sys.stdin.readline()
    if not line.strip():
        return None
    message = json.loads(line)
    os.environ.update(message.pop("environ"))
    for name in message.pop("unset"):
        os.environ.pop(name, None)
    return message


atexit.register(release)
