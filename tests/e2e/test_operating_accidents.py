"""A machine's accidents and a user's habits, end to end (docs/operating.md): the open current
day, an unreachable API, lost derived files, Ctrl-C, and two loads at once."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from pipelines import cli
from pipelines.cli import main
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences
from tests.support import SEED, TASKS_PER_DAY, Pipeline, gated_sandbox, ms, point_at, sandbox
from warehouse import duck, ops
from warehouse.paths import WarehousePaths
from warehouse.schemas import TABLES

SMALL = 100  # tasks a day: these tests check states and outcomes, not volume


def _truth(tmp_path: Path, now: str, start: str, end: str, tasks: int = SMALL) -> Path:
    out = tmp_path / f"truth-{now}-{start}-{end}".replace(":", "")
    write_truth(
        out,
        seed=SEED,
        tasks_per_day=tasks,
        now_ms=ms(now),
        from_ms=ms(f"{start}T00:00:00"),
        to_ms=ms(f"{end}T00:00:00"),
        families=("search",),
    )
    return out


def _equal_truth(db: Path, truth: Path) -> None:
    for name, table in TABLES.items():
        assert differences(db, truth / f"{name}.parquet", table) == {}, name


def _states(paths: WarehousePaths, asset: str = "search.task_details") -> dict[str, str]:
    """Day -> status of the latest attempt, in the store's extraction log."""
    with ops.log_connection(paths) as con:
        rows = con.execute(
            "SELECT strftime(window_start, '%Y-%m-%d'), arg_max(status, started) "
            "FROM ops.extraction_log WHERE asset = ? GROUP BY 1 ORDER BY 1",
            [asset],
        ).fetchall()
    return dict(rows)


def _count(db: Path, table: str) -> int:
    with duck.connect(db, read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_today_is_open_until_it_settles_and_then_equals_the_days_truth(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = pipeline.data_dir / "warehouse.duckdb"
    build = WarehousePaths(pipeline.data_dir)
    plain = ["load", "--from", "2026-11-20", "--to", "2026-11-21", "--no-progress"]
    plain += ["--source", "search"]
    first = "2026-11-20T15:30:00"
    monkeypatch.setenv("WXCC_NOW", first + "Z")
    assert main(["load", "--from", "2026-11-22", "--to", "2026-11-23"]) == 2  # the future
    assert "is in the future" in capsys.readouterr().err
    with sandbox(first, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        assert main(["load", "--today", "--no-progress", "--source", "search"]) == 0
    assert _states(build) == {"2026-11-20": "open"}
    partial = _count(db, "search.task_details")
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "open (not settled; every plain load refreshes them): 2026-11-20" in out
    assert "complete through - " in out

    # Ten minutes after midnight the day has ended but not settled: still open, refreshed.
    settling = "2026-11-21T00:10:00"
    monkeypatch.setenv("WXCC_NOW", settling + "Z")
    with sandbox(settling, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        assert main(plain) == 0
    assert "skipping" not in capsys.readouterr().out
    assert _states(build) == {"2026-11-20": "open"}
    assert _count(db, "search.task_details") > partial

    later = "2026-11-21T06:00:00"
    monkeypatch.setenv("WXCC_NOW", later + "Z")
    with sandbox(later, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        assert main(plain) == 0  # a plain re-run: the open day is loaded again
        assert _states(build) == {"2026-11-20": "success"}
        assert main(plain) == 0  # settled: now it is skipped
    assert "skipping 1 window(s) already complete" in capsys.readouterr().out
    _equal_truth(db, _truth(tmp_path, later, "2026-11-20", "2026-11-21"))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "complete through 2026-11-21 (1 day(s) complete)" in out and "open (" not in out


def test_a_closed_day_holding_tasks_not_ended_is_open_until_they_end(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A day past its end and its settling delay whose tasks are still in progress is open, and
    plain re-runs refresh it until they end. The sandbox's tasks end within minutes, so the
    settling delay is taken away to reach that state (real emails stay open for days)."""
    monkeypatch.setattr("pipelines.assets.windows.SETTLING_DELAY", timedelta(0))
    db = pipeline.data_dir / "warehouse.duckdb"
    build = WarehousePaths(pipeline.data_dir)
    plain = ["load", "--from", "2026-11-20", "--to", "2026-11-21", "--no-progress"]
    plain += ["--source", "search"]
    loaded_at = "2026-11-21T00:01:00"  # a minute after the day ended; seed 42: a call in progress
    monkeypatch.setenv("WXCC_NOW", loaded_at + "Z")
    with sandbox(loaded_at) as url:
        point_at(monkeypatch, url)
        assert main(plain) == 0
    with duck.connect(db, read_only=True) as con:
        (in_progress,) = con.execute(
            "SELECT count(*) FROM search.task_details WHERE is_active OR ended_time IS NULL"
        ).fetchone()
    assert in_progress == 1
    assert _states(build) == {"2026-11-20": "open"}
    capsys.readouterr()
    assert main(["status"]) == 0
    assert "open (not settled; every plain load refreshes them): 2026-11-20" in (
        capsys.readouterr().out
    )

    later = "2026-11-21T06:00:00"
    monkeypatch.setenv("WXCC_NOW", later + "Z")
    with sandbox(later) as url:
        point_at(monkeypatch, url)
        assert main(plain) == 0  # a plain re-run: not skipped, the day is loaded again
        assert "skipping" not in capsys.readouterr().out
    assert _states(build) == {"2026-11-20": "success"}
    _equal_truth(db, _truth(tmp_path, later, "2026-11-20", "2026-11-21", tasks=TASKS_PER_DAY))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "complete through 2026-11-21 (1 day(s) complete)" in out and "open (" not in out


def test_an_unreachable_api_fails_a_7_day_load_in_seconds(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    point_at(monkeypatch, f"http://127.0.0.1:{port}")
    monkeypatch.setenv("WXCC_NOW", "2026-11-20T15:30:00Z")
    started = time.monotonic()
    code = main(["load", "--from", "2026-11-10", "--to", "2026-11-17", "--no-progress"])
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert elapsed < 30, f"{elapsed:.1f} s"
    assert len(err) == 1 and f"cannot connect to http://127.0.0.1:{port}" in err[0], err
    assert "check the URL (WXCC_API_URL" in err[0]
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "search window 2026-11-10..2026-11-16 (org default) failed: Unreachable: " in out


def test_lost_published_file_and_parquet_are_repaired_never_published_smaller(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = "2026-11-20T15:30:00"
    monkeypatch.setenv("WXCC_NOW", now + "Z")
    db = pipeline.data_dir / "warehouse.duckdb"
    args = ["--no-progress", "--source", "search"]
    with sandbox(now, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        assert main(["load", "--from", "2026-11-16", "--to", "2026-11-19", *args]) == 0
        out = capsys.readouterr().out
        # "rows this load" once per run, not once per day of a 3-day run
        printed = re.search(r"search\.task_details\s+([\d,]+) rows this load", out)
        assert printed and int(printed.group(1).replace(",", "")) == _count(
            db, "search.task_details"
        )
        three_days = _count(db, "search.task_details")

        db.unlink()
        assert main(["load", "--from", "2026-11-19", "--to", "2026-11-20", *args]) == 0
        assert "was missing: wrote it again from the window store" in capsys.readouterr().err
        assert _count(db, "search.task_details") > three_days  # the earlier days are kept

        shutil.rmtree(pipeline.data_dir / "parquet")
        assert main(["status"]) == 0
        assert "its Parquet file is missing" in capsys.readouterr().out
        # A load of one day cannot make the others whole: it says so and does not exit 0.
        assert main(["load", "--from", "2026-11-19", "--to", "2026-11-20", *args]) == 1
        err = capsys.readouterr().err
        assert "lost their Parquet files" in err and "2026-11-16..2026-11-18" in err
        assert main(["load", "--from", "2026-11-16", "--to", "2026-11-20", *args]) == 0
        # every lost window loaded again; the day the one-day load restored is complete
        assert "search: skipping 1 window(s)" in capsys.readouterr().out
    files = list((pipeline.data_dir / "parquet" / "search" / "task_details").rglob("*.parquet"))
    assert len(files) == 4
    _equal_truth(db, _truth(tmp_path, now, "2026-11-16", "2026-11-20"))


def _cli(env: dict[str, str], *args: str, group: bool = False) -> subprocess.Popen[str]:
    """The CLI in a subprocess; ``group``: in a process group of its own, as a terminal's
    foreground job or a service manager's unit, to be signalled whole."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,
    )


def _load_until_windows_land(
    pipeline: Pipeline, env: dict[str, str], args: list[str], landed: int
) -> subprocess.Popen[str]:
    """The CLI's ``args`` in a process group of its own, returned once ``landed`` taskDetails
    windows are on disk: some, not all (or once it ended, or after 180 s)."""
    proc = _cli(env, *args, group=True)
    parquet = pipeline.data_dir / "parquet" / "search" / "task_details"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(parquet.rglob("*.parquet"))) >= landed:
            break
        time.sleep(0.05)
    return proc


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("signum", "said"),
    [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_stops_in_seconds_names_the_unfinished_windows_and_a_rerun_resumes(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    signum: signal.Signals,
    said: str,
) -> None:
    """Sent to the load's whole process group, as a terminal's Ctrl-C and systemd's stop are:
    every process of it (lanes, Dagster's log copiers) gets the signal, and the user still
    reads one sentence."""
    now = "2026-11-20T15:30:00"
    build = WarehousePaths(pipeline.data_dir)
    args = ["load", "--from", "2026-11-06", "--to", "2026-11-18", "--no-progress"]
    args += ["--source", "search"]
    # The instance the load makes itself, as a user's first load does (not the test instance).
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    with sandbox(now, latency_ms=30, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        env = {**os.environ, "WXCC_WINDOW_WORKERS": "2", "WXCC_NOW": now + "Z"}
        proc = _load_until_windows_land(pipeline, env, args, 2)
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signum)
        interrupted = time.monotonic()
        _, err = proc.communicate(timeout=60)
        stopped_in = time.monotonic() - interrupted
        assert proc.returncode == 130, err
        assert stopped_in < 10, f"{stopped_in:.1f} s"
        assert "Traceback" not in err
        last = err.strip().splitlines()[-1]
        assert last.startswith(f"wxcc-warehouse: stopped ({said}); unfinished search windows: ")
        assert last.endswith("marked failed in the extraction log; a re-run resumes")
        states = _states(build)
        interrupted_days = [d for d, s in states.items() if s == "failure"]
        assert interrupted_days and "2026-11-17" in interrupted_days
        assert all(s in ("success", "failure") for s in states.values())
        reasons = {a.error for a in ops.latest_attempts(build) if a.status == "failure"}
        assert f"Interrupted: stopped ({said}) before this window finished" in str(reasons)
        monkeypatch.setenv("WXCC_NOW", now + "Z")
        assert main(args) == 0  # resumes
    assert set(_states(build).values()) == {"success"}
    _equal_truth(
        pipeline.data_dir / "warehouse.duckdb", _truth(tmp_path, now, "2026-11-06", "2026-11-18")
    )


@pytest.mark.timeout(600)
def test_ctrl_c_pressed_again_and_again_ends_in_a_sentence_and_a_rerun_equals_truth(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An impatient user presses Ctrl-C three times. The second press used to interrupt the
    stop's own bookkeeping: 'unexpected RuntimeError: Query interrupted', exit 1. Now the
    second is told to wait and the third quits at once (or the stop has finished by then)."""
    now = "2026-11-20T15:30:00"
    args = ["load", "--from", "2026-11-12", "--to", "2026-11-18", "--no-progress"]
    args += ["--source", "search"]
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    with sandbox(now, latency_ms=30, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        env = {**os.environ, "WXCC_WINDOW_WORKERS": "2", "WXCC_NOW": now + "Z"}
        proc = _load_until_windows_land(pipeline, env, args, 1)
        for _ in range(3):
            with contextlib.suppress(ProcessLookupError):  # it ended already
                os.killpg(proc.pid, signal.SIGINT)
            time.sleep(0.05)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "unexpected" not in err, err
        last = err.strip().splitlines()[-1]
        assert last == f"wxcc-warehouse: {cli.QUIT_NOTE.strip()}" or last.startswith(
            "wxcc-warehouse: stopped (Ctrl-C); "
        ), err
        monkeypatch.setenv("WXCC_NOW", now + "Z")
        assert main(args) == 0  # resumes, whichever way it ended
    assert set(_states(WarehousePaths(pipeline.data_dir)).values()) == {"success"}
    _equal_truth(
        pipeline.data_dir / "warehouse.duckdb", _truth(tmp_path, now, "2026-11-12", "2026-11-18")
    )


def _file_size_limit(limit: int) -> Callable[[], None]:
    """In the child: no file may grow past ``limit`` bytes (``RLIMIT_FSIZE``), a full disk's
    portable stand-in (a write past it fails with EFBIG, as one fails with ENOSPC on a full disk)."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, do not kill the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


@pytest.mark.timeout(600)
def test_a_full_disk_fails_the_load_in_a_sentence_and_a_rerun_equals_truth(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    now = "2026-11-20T15:30:00"
    args = ["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"]
    args += ["--source", "search"]
    monkeypatch.setenv("WXCC_NOW", now + "Z")
    with sandbox(now, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        full = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", *args],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=_file_size_limit(300 * 1024),  # the published file cannot be written
        )
        lines = full.stderr.strip().splitlines()
        assert full.returncode == 1, full.stderr
        assert len(lines) == 1 and "Traceback" not in full.stderr, full.stderr
        # names the file that could not grow (or the Dagster instance), and what to do
        assert lines[0].startswith("wxcc-warehouse: "), lines
        assert str(tmp_path) in lines[0], lines
        assert "free some space and run again; a re-run resumes" in lines[0], lines
        assert main(args) == 0  # the space is back: a plain re-run
    _equal_truth(
        pipeline.data_dir / "warehouse.duckdb", _truth(tmp_path, now, "2026-11-18", "2026-11-19")
    )


# Linux capabilities a process of root drops to obey file permissions as any user does.
_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2


def _as_a_user() -> None:
    """In the child: permission bits apply even to root (who otherwise writes anywhere): the
    capabilities that override them leave its bounding set, so the program exec'd has none."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _chmod_tree(root: Path, *, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | 0o200 if writable else mode & ~0o222)


@pytest.mark.timeout(600)
def test_a_read_only_data_directory_is_said_in_a_sentence_and_a_rerun_equals_truth(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    now = "2026-11-20T15:30:00"
    args = ["--no-progress", "--source", "search"]
    monkeypatch.setenv("WXCC_NOW", now + "Z")
    data_dir = pipeline.data_dir
    with sandbox(now, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        assert main(["load", "--from", "2026-11-18", "--to", "2026-11-19", *args]) == 0
        _chmod_tree(data_dir, writable=False)  # as a read-only mount or a copy would be
        try:
            status = subprocess.run(
                [sys.executable, "-m", "pipelines.cli", "status"],
                env=dict(os.environ),
                capture_output=True,
                text=True,
                timeout=120,
                preexec_fn=_as_a_user,
            )
            refused = subprocess.run(
                [sys.executable, "-m", "pipelines.cli", "load", "--from", "2026-11-18"]
                + ["--to", "2026-11-20", *args],
                env=dict(os.environ),
                capture_output=True,
                text=True,
                timeout=300,
                preexec_fn=_as_a_user,
            )
        except subprocess.SubprocessError as exc:  # the capability could not be dropped
            pytest.skip(f"running as root, permission bits cannot be made to apply: {exc}")
        finally:
            _chmod_tree(data_dir, writable=True)
        # status reads a read-only directory (its window store opened immutable)
        assert status.returncode == 0, status.stdout + status.stderr
        assert "complete through 2026-11-19 (1 day(s) complete)" in status.stdout, status.stdout
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode == 2, refused.stderr
        assert len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert lines[0].startswith(f"wxcc-warehouse: WXCC_DATA_DIR {data_dir} is not writable: ")
        assert lines[0].endswith(
            "point WXCC_DATA_DIR at a writable directory or fix its permissions"
        ), lines
        # writable again: a plain re-run loads the day the refused load could not
        assert main(["load", "--from", "2026-11-18", "--to", "2026-11-20", *args]) == 0
    assert _states(WarehousePaths(data_dir)) == {"2026-11-18": "success", "2026-11-19": "success"}
    _equal_truth(data_dir / "warehouse.duckdb", _truth(tmp_path, now, "2026-11-18", "2026-11-20"))


def _pair(env: dict[str, str], *args: str) -> list[tuple[int, str]]:
    procs = [_cli(env, *args), _cli(env, *args)]
    return [(p.wait(240), p.communicate()[1]) for p in procs]


@pytest.mark.timeout(1200)  # ten loads in processes of their own, on a shared machine
@pytest.mark.parametrize("loaded_first", [False, True], ids=["new", "loaded"])
def test_two_loads_at_once_have_a_clear_outcome_and_leave_the_instance_working(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, loaded_first: bool
) -> None:
    """Five times: two loads started together; one loads, the other exits at once naming it."""
    now = "2026-11-20T15:30:00"
    args = ["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"]
    args += ["--source", "search", "--reload"]
    busy = re.compile(r"^wxcc-warehouse: another load \(pid \d+, started \S+\) is using \S+: ")
    with sandbox(now, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        for trial in range(5):
            data_dir = tmp_path / f"data-{trial}" if not loaded_first else pipeline.data_dir
            env = {**os.environ, "WXCC_DATA_DIR": str(data_dir), "WXCC_NOW": now + "Z"}
            env.pop("DAGSTER_HOME")  # the default: $WXCC_DATA_DIR/dagster, new with the dir
            if loaded_first and trial == 0:
                assert _cli(env, *args).wait(240) == 0
            outcomes = _pair(env, *args)
            codes = sorted(code for code, _ in outcomes)
            assert codes in ([0, 0], [0, 75]), outcomes
            for code, err in outcomes:
                if code == 75:
                    assert busy.match(err.strip()) and len(err.strip().splitlines()) == 1, err
                else:
                    assert "Traceback" not in err, err
            status = subprocess.run(
                [sys.executable, "-m", "pipelines.cli", "status"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert status.returncode == 0 and "complete through 2026-11-19" in status.stdout
            plain = [a for a in args if a != "--reload"]
            rerun = subprocess.run(
                [sys.executable, "-m", "pipelines.cli", *plain],
                env=env,
                capture_output=True,
                text=True,
                timeout=240,
            )
            assert rerun.returncode == 0, rerun.stderr
            _equal_truth(
                data_dir / "warehouse.duckdb", _truth(tmp_path, now, "2026-11-18", "2026-11-19")
            )


def _running(paths: WarehousePaths) -> set[str]:
    """Orgs with an attempt the store shows ``running`` now."""
    with ops.log_connection(paths) as con:
        rows = con.execute(
            "SELECT DISTINCT org FROM ops.extraction_log WHERE status = 'running'"
        ).fetchall()
    return {org for (org,) in rows}


@pytest.mark.timeout(600)
def test_ctrl_c_stops_a_load_of_two_orgs_whose_lanes_run_in_processes_of_their_own(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each org is a lane in a child process: the Ctrl-C reaches every one of them, and stops
    them though their in-flight requests hang (each sandbox holds its Search requests at a gate
    until the load has exited: the signal comes while both lanes have windows in flight)."""
    now = "2026-11-20T15:30:00"
    paths = WarehousePaths(pipeline.data_dir)
    args = ["load", "--from", "2026-11-15", "--to", "2026-11-17", "--no-progress"]
    args += ["--source", "search"]
    with (
        gated_sandbox(now, tasks_per_day=SMALL) as (acme_url, acme_gate),
        gated_sandbox(now, seed=SEED + 1, tasks_per_day=SMALL) as (globex_url, globex_gate),
    ):
        config = {
            "orgs": [
                {"name": "acme", "api_url": acme_url, "identity_url": acme_url},
                {"name": "globex", "api_url": globex_url, "identity_url": globex_url},
            ]
        }
        path = tmp_path / "wxcc.yaml"
        path.write_text(yaml.safe_dump(config))
        monkeypatch.setenv("WXCC_CONFIG", str(path))
        point_at(monkeypatch, acme_url)
        env = {**os.environ, "WXCC_WINDOW_WORKERS": "2", "WXCC_NOW": now + "Z"}
        proc = _cli(env, *args)
        # Both lanes' first Search request waits at its gate: each lane has windows in flight.
        for gate in (acme_gate, globex_gate):
            while not gate.held.wait(0.5):
                assert proc.poll() is None, proc.communicate()
        # The README's promise: an attempt is "running" in the log while it is in flight.
        assert _running(paths) == {"acme", "globex"}
        proc.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        _, err = proc.communicate(timeout=120)
        stopped_in = time.monotonic() - interrupted
        assert proc.returncode == 130, err
        assert stopped_in < 15, f"{stopped_in:.1f} s"
        assert "Traceback" not in err
        last = err.strip().splitlines()[-1]
        assert last.startswith("wxcc-warehouse: stopped (Ctrl-C); unfinished search windows: ")
        assert "2026-11-15..2026-11-16 (org acme)" in last, last
        assert "2026-11-15..2026-11-16 (org globex)" in last, last
        with ops.log_connection(paths) as con:
            states = dict(
                con.execute(
                    "SELECT org, list(DISTINCT status ORDER BY status) FROM ("
                    "  SELECT org, window_start, arg_max(status, started) AS status"
                    "  FROM ops.extraction_log GROUP BY org, asset, window_start"
                    ") GROUP BY org"
                ).fetchall()
            )
        # no lane left a window running: every one the lanes began is marked failed
        assert states == {"acme": ["failure"], "globex": ["failure"]}
        acme_gate.open()
        globex_gate.open()
        # resumes both orgs (in a process of its own: this process's org partitions are read
        # once, from the one-org configuration the other tests use)
        resumed = _cli(env, *args)
        _, err = resumed.communicate(timeout=600)
        assert resumed.returncode == 0, err
    assert set(_states(paths).values()) == {"success"}
