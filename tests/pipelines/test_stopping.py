"""A load takes a service manager's SIGTERM as a Ctrl-C, and names the one that stopped it."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from pipelines import stopping


def _send(signum: int) -> None:
    os.kill(os.getpid(), signum)
    signal.sigtimedwait([], 0)  # let the interpreter run the handler before going on


@pytest.fixture(autouse=True)
def sigint_default() -> Iterator[None]:
    """Ctrl-C as in a fresh process: Python's handler, not blocked (a test process may have been
    left otherwise by code it ran earlier)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    yield
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    signal.signal(signal.SIGINT, before)


@pytest.fixture
def sigterm_default() -> Iterator[None]:
    """SIGTERM's default action, as in a fresh process (an in-process Dagster run earlier in
    this one points it at the SIGINT handler)."""
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, before)


def test_sigterm_raises_keyboard_interrupt_and_is_named(sigterm_default: None) -> None:
    with pytest.raises(KeyboardInterrupt), stopping.watched():
        _send(signal.SIGTERM)
    assert stopping.cause() == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the default again
    assert signal.set_wakeup_fd(-1) == -1  # no wakeup fd left behind


def test_ctrl_c_is_named_ctrl_c() -> None:
    with pytest.raises(KeyboardInterrupt), stopping.watched():
        _send(signal.SIGINT)
    assert stopping.cause() == "Ctrl-C"


def test_sigterm_is_named_when_another_handler_takes_it() -> None:
    """As while a Dagster run executes: SIGTERM pointed at a handler that is not told which."""
    seen: list[bool] = []

    def dagsters(_signum: int, _frame: FrameType | None) -> None:
        seen.append(True)

    with stopping.watched():
        previous = signal.signal(signal.SIGTERM, dagsters)
        try:
            _send(signal.SIGTERM)
        finally:
            signal.signal(signal.SIGTERM, previous)
        assert seen == [True]
        assert stopping.cause() == "SIGTERM"
    assert stopping.cause() == "SIGTERM"  # still known after the watch ended


def test_a_new_watch_forgets_the_last_stop(sigterm_default: None) -> None:
    with pytest.raises(KeyboardInterrupt), stopping.watched():
        _send(signal.SIGTERM)
    with stopping.watched():
        assert stopping.cause() == "Ctrl-C"


def test_outside_the_main_thread_nothing_is_installed() -> None:
    found: list[object] = []

    def watch() -> None:
        with stopping.watched():
            found.append(stopping.cause())

    thread = threading.Thread(target=watch)
    thread.start()
    thread.join()
    assert found == ["Ctrl-C"]
