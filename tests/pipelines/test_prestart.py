"""Lane processes started ahead get their lane with the environment the load set since."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelines import prestart

ECHO = "import sys; sys.stdout.write(sys.stdin.readline())"


@pytest.fixture
def echo_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[prestart.Started]:
    """A started process that writes back the line it is given (a lane process stand-in)."""
    monkeypatch.setenv("WXCC_KEPT", "same")
    monkeypatch.setenv("WXCC_DROPPED", "gone later")
    monkeypatch.delenv("WXCC_ADDED", raising=False)
    process = subprocess.Popen(
        [sys.executable, "-c", ECHO], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    started = prestart.Started(process, tempfile.TemporaryFile(mode="w+"), dict(os.environ))
    monkeypatch.setattr(prestart, "_started", [started])
    yield started
    process.wait()


def test_a_started_process_gets_its_lane_and_what_the_load_set_since(
    echo_process: prestart.Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WXCC_ADDED", "http://127.0.0.1:1234")
    monkeypatch.delenv("WXCC_DROPPED")
    taken = prestart.take({"job_name": "search_job", "org": "acme"})
    assert taken is echo_process
    assert taken.process.stdout is not None
    sent = json.loads(taken.process.stdout.readline())
    sent["environ"].pop("PYTEST_CURRENT_TEST", None)  # pytest's own, changed between phases
    assert sent == {
        "job_name": "search_job",
        "org": "acme",
        "environ": {"WXCC_ADDED": "http://127.0.0.1:1234"},
        "unset": ["WXCC_DROPPED"],
    }
    assert prestart.take({"job_name": "search_job"}) is None  # none left: the caller starts one


def test_an_ended_process_is_skipped(echo_process: prestart.Started) -> None:
    assert echo_process.process.stdin is not None
    echo_process.process.stdin.close()  # it reads end-of-file and exits
    echo_process.process.wait()
    assert prestart.take({"job_name": "search_job"}) is None


def test_the_lane_process_applies_the_environment_it_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WXCC_ADDED", raising=False)
    monkeypatch.setenv("WXCC_DROPPED", "x")
    line = {"org": "acme", "environ": {"WXCC_ADDED": "1"}, "unset": ["WXCC_DROPPED"]}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(line) + "\n"))
    assert prestart.read_lane() == {"org": "acme"}
    assert os.environ["WXCC_ADDED"] == "1" and "WXCC_DROPPED" not in os.environ
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert prestart.read_lane() is None  # started ahead, given no lane: it exits


def test_processes_given_no_lane_are_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prestart, "_started", [])
    process = subprocess.Popen(
        [sys.executable, "-c", ECHO], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    prestart._started.append(
        prestart.Started(process, tempfile.TemporaryFile(mode="w+"), dict(os.environ))
    )
    prestart.release()
    assert process.poll() is not None and prestart._started == []


def test_every_org_of_a_load_gets_a_lane_at_once() -> None:
    # an org waiting for a lane would leave its whole API budget idle
    assert prestart.lane_limit(1) == prestart.lane_limit(prestart.MAX_LANES) == prestart.MAX_LANES
    assert prestart.lane_limit(20) == 20


# A lane stand-in: it arms die_with_parent, says its pid, then waits for its stdin to close.
LANE = (
    "import sys; from pipelines import prestart; prestart.die_with_parent(); "
    "print('armed', flush=True); sys.stdin.read()"
)
# The same, busy: it does not end when its stdin closes (a lane mid-step reads no stdin).
BUSY_LANE = LANE.replace("sys.stdin.read()", "import time; time.sleep(60)")
# A load stand-in: it starts the busy lane with prestart's environment, passes on the lane's pid,
# then waits to be killed.
LOAD = (
    "import subprocess, sys; from pipelines import prestart; "
    f"lane = subprocess.Popen([sys.executable, '-c', {BUSY_LANE!r}], stdin=subprocess.PIPE, "
    "stdout=subprocess.PIPE, text=True, env=prestart.lane_environ()); "
    "print(lane.pid, lane.stdout.readline().strip(), flush=True); sys.stdin.read()"
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_lane_process_ends_when_its_load_is_killed_outright() -> None:
    load = subprocess.Popen(
        [sys.executable, "-c", LOAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert load.stdout is not None
    pid, state = load.stdout.readline().split()
    assert state == "armed"
    assert _alive(int(pid))
    load.kill()  # SIGKILL: the load runs no handler of its own
    load.wait()
    ended = subprocess.run(  # the kernel's SIGKILL to the lane is immediate; allow a scheduler tick
        [
            "timeout",
            "10",
            "sh",
            "-c",
            f"while [ -d /proc/{pid} ] && ! grep -q ') Z' /proc/{pid}/stat; do sleep 0.05; done",
        ],
        check=False,
    )
    assert ended.returncode == 0, "the lane outlived its killed load"
    assert not _alive(int(pid))


def test_a_lane_process_whose_load_is_already_gone_ends_at_once() -> None:
    env = {**os.environ, prestart.PARENT_ENV: "1"}  # started by a load that has since died
    lane = subprocess.run(
        [sys.executable, "-c", LANE], env=env, input="", capture_output=True, text=True
    )
    if sys.platform.startswith("linux"):
        assert lane.returncode == 1 and "armed" not in lane.stdout
    else:
        assert lane.returncode == 0


def test_a_lane_process_started_without_a_load_runs_as_before() -> None:
    env = {k: v for k, v in os.environ.items() if k != prestart.PARENT_ENV}
    lane = subprocess.run(
        [sys.executable, "-c", LANE], env=env, input="", capture_output=True, text=True
    )
    assert lane.returncode == 0 and lane.stdout.strip() == "armed"


def _echo_lane() -> int:
    """A forked lane stand-in: it answers its first line with who its load is, then waits
    for its stdin to end."""
    line = sys.stdin.readline()
    sys.stdout.write(f"{os.environ[prestart.PARENT_ENV]} {line}")
    sys.stdout.flush()
    sys.stdin.read()
    print("ended", file=sys.stderr)
    return 3


def _in_a_fresh_process(check: Callable[[], None]) -> None:
    """Run ``check`` (a function of this module) in a fresh interpreter. A process forks lanes
    only while it has no thread but its main one, and pytest's workers run threads of their
    own, so the forking is tested where it happens in a load: a process of its own."""
    code = f"from tests.pipelines.test_prestart import {check.__name__} as check; check()"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _forked_lanes_talk_on_pipes_of_their_own() -> None:
    assert prestart.can_fork()
    try:
        prestart.fork(2, _echo_lane)
        first, second = prestart._started
        for n, found in enumerate((first, second)):
            assert found.process.stdin is not None and found.process.stdout is not None
            found.process.stdin.write(f"lane {n}\n")
            found.process.stdin.flush()
            assert found.process.stdout.readline() == f"{os.getpid()} lane {n}\n"
        assert second.process.poll() is None
        # The second lane holds no copy of the first one's stdin, so closing it here ends it.
        first.process.stdin.close()  # type: ignore[union-attr]
        assert first.process.wait(timeout=60) == 3
        first.errors.seek(0)
        assert first.errors.read() == "ended\n"  # its stderr, where the load reads why it ended
        try:
            second.process.wait(timeout=0)
            raise AssertionError("the second lane ended with the first one's stdin")
        except subprocess.TimeoutExpired:
            pass
        second.process.stdin.close()  # type: ignore[union-attr]
        assert second.process.wait() == 3 and second.process.poll() == 3
    finally:
        prestart.release()


def _broken_lane() -> int:
    raise RuntimeError("no lane today")


def _forked_lane_given_no_lane_is_ended_and_a_failing_one_says_why() -> None:
    assert prestart.can_fork()
    try:
        prestart.fork(1, _echo_lane)
        idle = prestart._started[0].process
        prestart.release()
        assert idle.poll() == -signal.SIGKILL and prestart._started == []
        prestart.fork(1, _broken_lane)
        found = prestart._started[0]
        assert found.process.wait(timeout=60) == 1
        found.errors.seek(0)
        assert found.errors.read().strip().splitlines()[-1] == "RuntimeError: no lane today"
    finally:
        prestart.release()


LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="lanes are forked only on Linux"
)


@LINUX_ONLY
def test_forked_lanes_talk_on_pipes_of_their_own_and_end_when_their_stdin_closes() -> None:
    _in_a_fresh_process(_forked_lanes_talk_on_pipes_of_their_own)


@LINUX_ONLY
def test_a_forked_lane_given_no_lane_is_ended_and_a_failing_one_says_why() -> None:
    _in_a_fresh_process(_forked_lane_given_no_lane_is_ended_and_a_failing_one_says_why)


def test_lanes_start_as_fresh_interpreters_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(prestart.FORK_VARIABLE, "0")
    assert not prestart.can_fork()


def test_a_load_collects_young_objects_less_often_and_keeps_the_older_thresholds() -> None:
    import gc

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 11, 12)
        prestart.tune_collector()
        assert gc.get_threshold() == (prestart.YOUNG_OBJECTS, 11, 12)
        assert prestart.YOUNG_OBJECTS > 700
    finally:
        gc.set_threshold(*before)


def test_signalling_a_forked_lane_that_ended_and_was_reaped_meanwhile_is_no_error() -> None:
    """A Ctrl-C's stop signals each lane while the lane's own thread may be reaping it: poll
    then says "still running" (the other holds the reaping), and the pid is gone by the kill."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    lane = prestart.Forked(pid, io.StringIO(), io.StringIO())
    with lane._reaping:  # noqa: SLF001 - as the lane's thread holds it in wait()
        os.waitpid(pid, 0)  # what that wait does meanwhile
        lane.send_signal(signal.SIGINT)  # no ProcessLookupError
        lane.kill()
    assert lane.poll() == 0  # reaped elsewhere: ended, as far as it can tell
