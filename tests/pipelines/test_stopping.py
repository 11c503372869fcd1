"""A load takes a service manager's SIGTERM as a Ctrl-C, and names the one that stopped it."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from pipelines import cli, stopping
from pipelines.sources.http import requests_stopped, resume_requests, stop_requests


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


class _Quit(Exception):
    """exit_now, in a test: the process would end here."""


@pytest.fixture
def quit_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def quit_now(code: int) -> None:
        raise _Quit(code)

    monkeypatch.setattr(cli, "exit_now", quit_now)


def test_a_second_ctrl_c_while_stopping_is_told_to_wait_and_a_third_quits_at_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], quit_raises: None
) -> None:
    """A second Ctrl-C interrupted the stop's own bookkeeping: DuckDB's "Query interrupted" as
    an unexpected error, the unfinished windows left unmarked."""
    resume_requests()
    with stopping.watched(), cli._stop_on_interrupt(tmp_path) as stop:
        with pytest.raises(KeyboardInterrupt):
            _send(signal.SIGINT)  # the stop begins
        assert requests_stopped()
        _send(signal.SIGINT)  # the bookkeeping goes on
        assert capfd.readouterr().err == cli.STOPPING_NOTE
        with pytest.raises(_Quit) as quit_:
            _send(signal.SIGINT)
        assert quit_.value.args == (cli.EXIT_INTERRUPTED,)
        assert capfd.readouterr().err == cli.QUIT_NOTE
        assert not stop.settled
    record = json.loads((tmp_path / cli.LAST_LOAD).read_text())
    assert record["outcome"] == f"quit at once (Ctrl-C); {cli.QUIT_CONSEQUENCE}"
    resume_requests()


def test_the_first_ctrl_c_taken_by_dagster_makes_the_next_a_repeat(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], quit_raises: None
) -> None:
    """While a Dagster run executes in the load's process, Dagster's handler takes the first
    Ctrl-C; the stop it begins stops the requests, and the load's handler then sees a repeat."""
    resume_requests()
    with stopping.watched(), cli._stop_on_interrupt(tmp_path) as stop:
        stop_requests()  # as the interrupted run's step does
        _send(signal.SIGINT)
        assert capfd.readouterr().err == cli.STOPPING_NOTE
        stop.settled = True  # the outcome is said: more presses change nothing
        _send(signal.SIGINT)
        _send(signal.SIGTERM)
        assert capfd.readouterr().err == ""
    assert not (tmp_path / cli.LAST_LOAD).exists()
    resume_requests()


def test_a_forked_lane_signals_itself_not_into_the_loads_pipe(sigterm_default: None) -> None:
    """The wakeup fd is inherited across fork: a lane forked from the load wrote its own
    signals into the load's pipe, where the load read them as its own."""
    with stopping.watched():
        pid = os.fork()
        if pid == 0:  # the lane
            try:
                stopping.forget_in_child()
                signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
                os.kill(os.getpid(), signal.SIGTERM)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert stopping.cause() == "Ctrl-C"  # the lane's SIGTERM is not the load's
