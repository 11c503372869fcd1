"""A load stopped by a service manager's SIGTERM, as by Ctrl-C, and told apart from it.

systemd, Docker and Kubernetes stop a process with SIGTERM, whose default action ends a Python
process at once: no line for whoever reads the logs, no outcome for ``status``, lanes killed by
their parent's death mid-step. A load takes SIGTERM as a Ctrl-C instead: it stops its requests,
marks what it left unfinished, and says so.

Which of the two arrived cannot be learnt from the handler that runs: while a Dagster run
executes in this process, Dagster points SIGTERM at its own SIGINT handler, which is not told
the signal. Python's C-level handler writes the number of every signal it catches to the wakeup
file descriptor, whoever's Python handler then runs, so :func:`cause` reads it from there.
No Dagster here: the CLI imports this before Dagster.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

_wakeup: int | None = None  # read end of the pipe given to signal.set_wakeup_fd
_terminated = False  # a SIGTERM was seen on it
_pipe: list[int] = []  # both ends of the wakeup pipe, while watched


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # as Python's default SIGINT handler does


@contextlib.contextmanager
def watched() -> Iterator[None]:
    """For a load, in its main thread: SIGTERM raises KeyboardInterrupt as Ctrl-C does (unless
    something else handles it already), and every signal caught is noted for :func:`cause`.
    Both are undone on leaving. In another thread, nothing."""
    global _wakeup, _terminated  # noqa: PLW0603 - one load per process at a time
    _terminated = False  # a new load: the last one's stop is not this one's
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    taken = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if taken:
        signal.signal(signal.SIGTERM, _raise)
    # A full pipe (thousands of signals unread) drops the byte, not the signal.
    previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    _wakeup = read
    _pipe[:] = [read, write]
    try:
        yield
    finally:
        cause()  # what arrived until now stays known after the pipe is gone
        signal.set_wakeup_fd(previous)
        if taken:  # Dagster may have pointed it elsewhere meanwhile: the default again
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _wakeup = None
        _pipe.clear()
        os.close(read)
        os.close(write)


def forget_in_child() -> None:
    """In a process forked from a watched load (a lane): its signals are its own. The wakeup
    fd and the pipe are inherited across fork: a lane's signals were written into the load's
    pipe, where the load read them as its own (a lane's SIGTERM named the load's stop)."""
    global _wakeup, _terminated  # noqa: PLW0603
    if not _pipe:
        return
    signal.set_wakeup_fd(-1)
    for fd in _pipe:
        with contextlib.suppress(OSError):
            os.close(fd)
    _pipe.clear()
    _wakeup, _terminated = None, False


def cause() -> str:
    """How the load was stopped, for its messages: ``SIGTERM`` once one arrived during the
    latest :func:`watched`, else ``Ctrl-C``."""
    global _terminated  # noqa: PLW0603
    if _wakeup is not None and not _terminated:
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(_wakeup, 4096):
                _terminated = _terminated or signal.SIGTERM in chunk
    return "SIGTERM" if _terminated else "Ctrl-C"


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def set_parent_death_signal(signum: int) -> bool:
    """Have Linux send this process ``signum`` when its parent dies, however it dies (SIGKILL,
    the OOM killer): ``PR_SET_PDEATHSIG``, kept across exec. False where it cannot be set
    (not Linux, or a sandbox without prctl)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)


def signalled_at_parent_death(signum: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` for a child that must stop when this process ends, however it ends:
    it gets ``signum`` then (:func:`set_parent_death_signal`). A parent gone before that was
    set ends the child at once. None elsewhere than Linux. Only for a parent that runs no other
    thread (``preexec_fn``'s own condition)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()

    def set_in_child() -> None:
        set_parent_death_signal(signum)
        if os.getppid() != parent:
            os._exit(1)  # noqa: SLF001 - the parent is gone already: nothing to run for

    return set_in_child
