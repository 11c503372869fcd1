"""``wxcc-warehouse load``: loads through Dagster, summarizes, and fails with a one-line reason."""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipelines import cli
from pipelines.cli import main
from sandbox import server
from tests.support import Pipeline, point_at, sandbox


@pytest.fixture
def env(pipeline: Pipeline) -> Pipeline:
    return pipeline


def test_load_prints_a_summary_and_is_recorded_in_the_instance(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sandbox("2026-11-20T15:30:00") as url:
        point_at(monkeypatch, url)
        code = main(["load", "--from", "2026-11-18", "--to", "2026-11-20", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Loaded 2 day(s) 2026-11-18 .. 2026-11-19" in out
    assert "search.task_details" in out and "warehouse.duckdb" in out
    assert (env.data_dir / "warehouse.duckdb").is_file()
    runs = env.instance.get_run_records()
    assert runs, "runs are recorded in the instance at DAGSTER_HOME"


def test_the_query_the_summary_offers_runs_on_what_the_load_landed(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reporting-only load offered a count of search.task_details, which it had not loaded,
    to be run by `.venv/bin/python`, which only the project's folder has."""
    with sandbox("2026-11-20T15:30:00", tasks_per_day=20) as url:
        point_at(monkeypatch, url)
        argv = ["load", "--from", "2026-11-18", "--to", "2026-11-19", "--source", "reporting"]
        assert main([*argv, "--no-progress"]) == 0
    offered = capsys.readouterr().out.split("Try:\n", 1)[1].strip()
    assert "reporting.tasks" in offered
    answer = subprocess.run(shlex.split(offered), capture_output=True, text=True, check=True)
    assert "attributes_channel_type" in answer.stdout and "telephony" in answer.stdout


def test_a_failing_window_exits_non_zero_with_one_line(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WXCC_CLIENT_SECRET", "not-the-secret")
    with sandbox("2026-11-20T15:30:00") as url:
        point_at(monkeypatch, url)
        code = main(["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith(
        "wxcc-warehouse: search window 2026-11-18 (org default) failed:"
    )
    assert "WXCC_CLIENT_SECRET" in err[0] and "not-the-secret" not in err[0]


def test_without_an_api_url_it_loads_from_the_embedded_sandbox(
    env: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("WXCC_CLIENT_ID", "WXCC_CLIENT_SECRET", "WXCC_REFRESH_TOKEN"):
        monkeypatch.delenv(name)
    # Both clocks pinned: the day --last-days picks, and the embedded sandbox's.
    now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    monkeypatch.setattr(cli, "_now", lambda: now)
    embedded = functools.partial(server.serve_in_background, now_ms=int(now.timestamp() * 1000))
    monkeypatch.setattr(server, "serve_in_background", embedded)
    code = main(["load", "--last-days", "1", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "embedded sandbox tenant" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["load", "--from", "2026-11-20", "--to", "2026-11-18"], "must be after"),
        (["load", "--from", "2026-11-18"], "give --from and --to"),
        (["load", "--last-days", "2", "--from", "2026-11-18"], "either --last-days"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    env: Pipeline, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_partial_day_is_refused(env: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["load", "--from", "2026-11-18T06:00:00Z", "--to", "2026-11-19"])
    assert "whole UTC days" in capsys.readouterr().err


def test_env_fixture_points_data_at_tmp(env: Pipeline, tmp_path: Path) -> None:
    assert tmp_path in env.data_dir.parents


def test_the_instance_is_opened_before_the_lanes_fork_and_a_damaged_one_left_to_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = tmp_path / "home"
    cli._open_instance_once(SimpleNamespace(dagster_home=home))
    assert (home / "dagster.yaml").exists() and (home / "history" / "runs.db").exists()

    damaged = tmp_path / "damaged"
    (damaged / "history").mkdir(parents=True)
    (damaged / "history" / "runs.db").write_bytes(b"garbage, not SQLite" * 100)
    monkeypatch.setenv("DAGSTER_HOME", str(damaged))
    cli._open_instance_once(SimpleNamespace(dagster_home=home))  # no error: the load says it
    assert (damaged / "history" / "runs.db").read_bytes().startswith(b"garbage")


def test_a_reader_that_leaves_early_gets_no_error_line(env: Pipeline) -> None:
    """`wxcc-warehouse status | head -1`: the rest of the output has nowhere to go; the command
    ends quietly as a tool killed by SIGPIPE would (141), not with 'Broken pipe'."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "status"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")


def _version_of(command: str) -> str:
    tool = Path(sys.executable).with_name(command)
    return subprocess.run(
        [str(tool), "--version"], capture_output=True, text=True, check=True
    ).stdout


def test_version_names_the_project_and_what_a_bug_report_needs() -> None:
    shown = _version_of("wxcc-warehouse")
    assert re.fullmatch(
        r"wxcc-warehouse \d+\.\d+\.\d+\S* \(dagster \d\S+, duckdb \d\S+, Python 3\.\d+\.\d+\)\n",
        shown,
    ), shown
    assert re.fullmatch(r"wxcc-sandbox \d+\.\d+\.\d+\S*\n", _version_of("wxcc-sandbox"))
