"""Lane processes started ahead of need, so their start-up overlaps the load's own.

A lane's process (``python -m pipelines.runner -``) spends ~1.8 s of CPU importing Dagster and
building the definitions before it can run anything (14 s of wall time on the shared machine at
load 28: bench/README.md, ``bench_two_orgs``). ``wxcc-warehouse load`` knows how many lanes it
may run as soon as it has read its settings, so it starts that many processes first; each
imports while the load plans, and then waits for its lane on stdin. A process given no lane
(every window of it was complete) is ended when the load's lanes are done.

The lane is sent with the variables the load set since the process started (the embedded
sandbox's URL, ``DAGSTER_HOME``), so a pre-started lane runs exactly as a freshly started one.

On Linux the processes are forked from the load once it has imported what a lane runs
(:func:`fork`), instead of started as fresh interpreters that import it all again: a fresh lane
spent ~1.9 s of CPU on its imports (py-spy, 60,000-task load; bench/README.md, issue 21, fifth
pass). A fork is only safe before the process has threads of its own (a lock another thread
held stays held in the child), so it is made before the load starts any, and
:func:`can_fork` falls back to fresh processes otherwise.
No Dagster here: the CLI imports this before Dagster.
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from pipelines import stopping
from pipelines.exiting import exit_now

# The load's process id, given to each lane process it starts (see die_with_parent).
PARENT_ENV = "WXCC_LANE_PARENT"

# Runs in flight at once in one load (one per org and source): each waits on its org's API
# budget, so more lanes cost processes, not throughput of any one org.
MAX_LANES = 8


# Young objects the collector lets pile up before a collection (CPython's default: 700). A load
# makes millions of short-lived containers (the dict path's records, Dagster's events); at the
# default the collector took ~1.5 s of a 60,000-task two-day load's CPU in ~4,500 collections, at
# 10,000 ~0.3 s in ~75, for a few MiB more held between collections (bench/README.md, issue 21,
# sixth pass).
YOUNG_OBJECTS = 10_000


def tune_collector() -> None:
    """Collect young objects less often in a load's processes (:data:`YOUNG_OBJECTS`); the
    older generations' thresholds stay."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, older, oldest)


def lane_limit(orgs: int, per_org: int = 1) -> int:
    """Lanes in flight at once for a load of ``orgs`` orgs whose jobs take up to ``per_org``
    lanes each (``pipelines.lanes.count``): all of an org's lanes of a job at once, since an org
    waiting for a lane leaves its API budget idle (bench/bench_many_orgs.py)."""
    return max(MAX_LANES, orgs * per_org)


class Forked:
    """A lane process made by :func:`fork`, with the part of ``subprocess.Popen``'s interface
    the load uses (its pipes, ``poll``, ``wait``, ``send_signal``, ``kill``)."""

    def __init__(self, pid: int, stdin: IO[str], stdout: IO[str]) -> None:
        self.pid = pid
        self.stdin: IO[str] | None = stdin
        self.stdout: IO[str] | None = stdout
        self.returncode: int | None = None
        # The lane's thread and a Ctrl-C's stop both wait for it: one of them reaps it (as
        # Popen does: a poll while the other waits says "still running").
        self._reaping = threading.Lock()

    def _reap(self, options: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, options)
        except ChildProcessError:  # reaped already (SIGCHLD ignored): nothing more to know
            pid, status = self.pid, 0
        if pid:
            self.returncode = os.waitstatus_to_exitcode(status)

    def poll(self) -> int | None:
        if self.returncode is None and self._reaping.acquire(blocking=False):
            try:
                if self.returncode is None:
                    self._reap(os.WNOHANG)
            finally:
                self._reaping.release()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and timeout is not None:
            # A pid file descriptor becomes readable when the process ends: no polling loop.
            try:
                ended = os.pidfd_open(self.pid)
            except ProcessLookupError:  # reaped meanwhile
                ended = None
            if ended is not None:
                try:
                    if not select.select([ended], [], [], max(timeout, 0.0))[0]:
                        raise subprocess.TimeoutExpired(f"lane process {self.pid}", timeout)
                finally:
                    os.close(ended)
        with self._reaping:
            if self.returncode is None:
                self._reap(0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                # Reaped meanwhile by the thread waiting for it (a poll while it waits says
                # "still running"): it has ended, nothing to signal, as Popen.send_signal.
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


Process = subprocess.Popen[str] | Forked  # a lane process, started fresh or forked


@dataclass
class Started:
    process: Process
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


# Set to 0: lane processes start as fresh interpreters even where they could be forked (to
# compare the two on one machine; bench/README.md, issue 21, fifth pass).
FORK_VARIABLE = "WXCC_LANE_FORK"


def can_fork() -> bool:
    """Whether lane processes can be forked from this one now: on Linux (``os.pidfd_open``;
    elsewhere a fork of a process that has loaded system frameworks is not safe), and only
    while this process runs no thread but its main one."""
    return (
        os.environ.get(FORK_VARIABLE, "1") != "0"
        and sys.platform.startswith("linux")
        and hasattr(os, "pidfd_open")
        and threading.active_count() == 1
    )


def fork(count: int, lane_main: Callable[[], int]) -> None:
    """Fork ``count`` lane processes from this one (see :func:`can_fork`), each running
    ``lane_main`` (``pipelines.runner.forked_lane``) with its stdin, stdout and stderr as a
    process from :func:`start` has them; each ends with ``lane_main``'s exit status."""
    # Objects alive now are the imports' and stay: moved out of the collector's reach, so
    # neither process rescans them, and the child does not copy every page it would touch.
    gc.freeze()
    for _ in range(count):
        errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed with the process
        lane_in, to_lane = os.pipe()
        from_lane, lane_out = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # else the child writes this one's buffer too
            stream.flush()
        with warnings.catch_warnings():
            # Python 3.12+ warns of native threads (numpy's BLAS pool, pyarrow's allocator):
            # both reset themselves in a forked child; only Python threads are a hazard here.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            _forked_child(lane_main, errors, (lane_in, lane_out), (to_lane, from_lane))
        os.close(lane_in)
        os.close(lane_out)
        process = Forked(pid, os.fdopen(to_lane, "w"), os.fdopen(from_lane, "r"))
        with _lock:
            _started.append(Started(process, errors, dict(os.environ)))


def _forked_child(
    lane_main: Callable[[], int],
    errors: IO[str],
    ends: tuple[int, int],
    parents: tuple[int, int],
) -> None:
    """In a forked lane process: its pipes as stdin and stdout, ``errors`` as stderr, the
    load's other lane processes let go, then ``lane_main``; never returns."""
    code = 1
    try:
        os.dup2(ends[0], 0)
        os.dup2(ends[1], 1)
        os.dup2(errors.fileno(), 2)
        # Pipes to the load's other lanes must close here too, or a lane would never see
        # the end of its stdin when the load closes it.
        for fd in (*ends, *parents):
            os.close(fd)
        with _lock:
            siblings, _started[:] = list(_started), []
        for found in siblings:
            for stream in (found.process.stdin, found.process.stdout, found.errors):
                if stream is not None:
                    os.close(stream.fileno())
        sys.stdin = os.fdopen(0, "r", closefd=False)
        sys.stdout = os.fdopen(1, "w", closefd=False)
        sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
        os.environ[PARENT_ENV] = str(os.getppid())
        stopping.forget_in_child()  # the load's signal pipe is the load's
        # The load's exit handlers are its own (releasing its lanes, among them this one;
        # finalizers of its temporary files): this process runs only those it adds, and
        # logging's flush.
        atexit._clear()  # noqa: SLF001
        atexit.register(logging.shutdown)
        code = lane_main()
    except BaseException:  # noqa: BLE001 - said on stderr, where the load reads why it ended
        traceback.print_exc()
    finally:
        exit_now(code)  # never back into the load's own code, nor its teardown


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
    if not expected or not stopping.set_parent_death_signal(signal.SIGKILL):
        return  # not Linux, or prctl not allowed here (a sandbox): a killed load's lanes finish
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
