"""Lane processes started ahead get their lane with the environment the load set since."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator

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
