"""Operating it: a 14-day backfill through the CLI, resumed after SIGKILL, and many orgs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from pipelines.cli import main
from pipelines.lanes import STEPS
from sandbox.model import Tenant
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences, table_rows
from tests.support import SEED, TASKS_PER_DAY, Pipeline, ms, point_at, sandbox
from warehouse import duck
from warehouse.schemas import TABLES, TASK_DETAILS

NOW = "2026-11-20T15:30:00"
SMALL = 100  # tasks a day for the long backfills: they check windows and resumption, not volume


def _truth(
    tmp_path: Path, start: str, end: str, seed: int = SEED, tasks_per_day: int = TASKS_PER_DAY
) -> Path:
    out = tmp_path / f"truth-{seed}-{start}"
    write_truth(
        out,
        seed=seed,
        tasks_per_day=tasks_per_day,
        now_ms=ms(NOW),
        from_ms=ms(f"{start}T00:00:00"),
        to_ms=ms(f"{end}T00:00:00"),
        families=("search",),
    )
    return out


def _log(db: Path) -> list[tuple]:
    with duck.connect(db, read_only=True) as con:
        return con.execute(
            "SELECT asset, strftime(window_start, '%Y-%m-%d'), status, run_id "
            "FROM ops.extraction_log ORDER BY started"
        ).fetchall()


def _running(data_dir: Path, org: str) -> int:
    """Attempts of ``org`` the store's extraction log has as ``running`` (started, not ended)."""
    store = data_dir / "store" / "warehouse.sqlite"
    if not store.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as con:
            query = "SELECT count(*) FROM extraction_log WHERE status = 'running' AND org = ?"
            return con.execute(query, (org,)).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _kill_mid_load(proc: subprocess.Popen[bytes], data_dir: Path, org: str) -> None:
    """SIGKILL ``proc`` at a moment it is guaranteed mid-load: some windows landed and some
    attempt is ``running``. The process is stopped (SIGSTOP) while the store is read, so what
    is read is what the kill leaves: a poll alone came too late on a loaded machine, where the
    windows land in seconds and the load was then publishing or tearing down."""
    parquet = data_dir / "parquet" / "search" / "task_details"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(parquet.rglob("*.parquet"))) >= 2:  # some windows landed
            proc.send_signal(signal.SIGSTOP)
            if _running(data_dir, org):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError(
        "the load ended before it could be killed mid-way: "
        + (proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else "")
    )


def test_a_14_day_backfill_equals_truth_in_bounded_runs_and_resumes(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = pipeline.data_dir / "warehouse.duckdb"
    with sandbox(NOW, tasks_per_day=SMALL) as url:
        point_at(monkeypatch, url)
        load = ["load", "--from", "2026-11-04", "--to", "2026-11-18", "--no-progress"]
        load += ["--source", "search"]
        assert main(load) == 0
        out = capsys.readouterr().out
        # 7-day single-run backfills: 2 chunks, each a run per Search feed group and one of the
        # marts (pipelines.lanes: the org's two lanes share the groups)
        runs = 2 * (len(STEPS["search_job"]) + 1)
        assert "Loaded 14 day(s)" in out and f"({runs} run(s))" in out
        first = table_rows(db, TASK_DETAILS)
        assert main(load) == 0  # every window complete: nothing to do
        out = capsys.readouterr().out
        assert "search: skipping 14 window(s) already complete" in out and "(0 run(s))" in out
        assert main([*load, "--reload"]) == 0
        assert f"({runs} run(s))" in capsys.readouterr().out
    truth = _truth(tmp_path, "2026-11-04", "2026-11-18", tasks_per_day=SMALL)
    for name, table in TABLES.items():
        assert differences(db, truth / f"{name}.parquet", table) == {}, name
    assert table_rows(db, TASK_DETAILS) == first
    windows = {r[1] for r in _log(db) if r[0] == "search.task_details" and r[2] == "success"}
    assert len(windows) == 14


def test_a_load_killed_mid_backfill_resumes_to_truth_redoing_what_was_cut(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = pipeline.data_dir / "warehouse.duckdb"
    args = ["load", "--from", "2026-11-08", "--to", "2026-11-18", "--no-progress"]
    args += ["--source", "search"]
    with sandbox(NOW, latency_ms=20, tasks_per_day=SMALL) as url:  # slow enough to catch mid-way
        point_at(monkeypatch, url)
        env = {**os.environ, "WXCC_WINDOW_WORKERS": "2"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _kill_mid_load(proc, pipeline.data_dir, "default")
        assert main(args) == 0  # resumes: skips what completed, redoes the rest
    killed = [r for r in _log(db) if r[2] == "running"]
    assert killed, "the kill left no unfinished attempt: it came too late to test anything"
    redone = {(a, w) for a, w, s, _ in _log(db) if s == "success"}
    assert {(a, w) for a, w, _s, _r in killed} <= redone
    truth = _truth(tmp_path, "2026-11-08", "2026-11-18", tasks_per_day=SMALL)
    for name, table in TABLES.items():
        assert differences(db, truth / f"{name}.parquet", table) == {}, name


def test_each_configured_org_loads_its_own_tenant_with_its_own_token_state(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fresh_pipelines: Callable[[], ModuleType],
) -> None:
    other_seed = 7
    with sandbox(NOW) as acme_url, sandbox(NOW, seed=other_seed) as globex_url:
        config = {
            "orgs": [
                {
                    "name": "acme",
                    "api_url": acme_url,
                    "identity_url": acme_url,
                    "client_id_env": "ACME_CLIENT_ID",
                    "client_secret_env": "ACME_CLIENT_SECRET",
                    "refresh_token_env": "ACME_REFRESH_TOKEN",
                },
                {"name": "globex", "api_url": globex_url, "identity_url": globex_url},
            ]
        }
        path = tmp_path / "wxcc.yaml"
        path.write_text(yaml.safe_dump(config))
        monkeypatch.setenv("WXCC_CONFIG", str(path))
        for name, value in (
            ("ACME_CLIENT_ID", "sandbox-client"),
            ("ACME_CLIENT_SECRET", "sandbox-secret"),
            ("ACME_REFRESH_TOKEN", "sandbox-refresh"),
        ):
            monkeypatch.setenv(name, value)
        point_at(monkeypatch, acme_url)  # the default for orgs that name no URL of their own
        # Definitions read the org list when the code location loads: load them afresh.
        fresh_main = fresh_pipelines().cli.main

        code = fresh_main(
            ["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"]
            + ["--source", "search"]
        )
        assert code == 0
    db = pipeline.data_dir / "warehouse.duckdb"
    acme, globex = Tenant(SEED, TASKS_PER_DAY).org_id, Tenant(other_seed, TASKS_PER_DAY).org_id
    with duck.connect(db, read_only=True) as con:
        orgs = con.execute(
            "SELECT org_id, count(*) FROM search.task_details GROUP BY 1 ORDER BY 1"
        ).fetchall()
        logged = con.execute("SELECT DISTINCT org, org_id FROM ops.extraction_log").fetchall()
    assert {o for o, _ in orgs} == {acme, globex} and all(n > 100 for _, n in orgs)
    assert sorted(logged) == [("acme", acme), ("globex", globex)]
    for seed in (SEED, other_seed):
        truth = _truth(tmp_path, "2026-11-18", "2026-11-19", seed)
        org = Tenant(seed, TASKS_PER_DAY).org_id
        for name, table in TABLES.items():
            found = differences(db, truth / f"{name}.parquet", table, org_id=org)
            assert found == {}, (seed, name)
    states = pipeline.data_dir / "state"
    assert sorted(p.name for p in states.iterdir()) == ["acme", "globex"]
    for org in ("acme", "globex"):
        assert list((states / org).glob("token-*.json")), f"{org} keeps no token state"


def test_killing_one_orgs_load_leaves_the_other_unaffected_and_it_resumes(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = pipeline.data_dir / "warehouse.duckdb"
    days = ["--from", "2026-11-10", "--to", "2026-11-18", "--source", "search", "--no-progress"]
    other_seed = 7
    with (
        sandbox(NOW, latency_ms=20, tasks_per_day=SMALL) as acme_url,
        sandbox(NOW, seed=other_seed, tasks_per_day=SMALL) as globex_url,
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
        env = {**os.environ, "WXCC_WINDOW_WORKERS": "2"}

        def load(org: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "pipelines.cli", "load", *days, "--org", org],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )

        acme, globex = load("acme"), load("globex")
        _kill_mid_load(acme, pipeline.data_dir, "acme")
        _, err = globex.communicate(timeout=600)
        assert globex.returncode == 0, err.decode()
        # globex is whole while acme's load lies killed.
        globex_id = Tenant(other_seed, SMALL).org_id
        truth = _truth(tmp_path, "2026-11-10", "2026-11-18", other_seed, SMALL)
        for name, table in TABLES.items():
            found = differences(db, truth / f"{name}.parquet", table, org_id=globex_id)
            assert found == {}, ("globex", name)
        # acme resumes: the same command again finishes what the kill cut.
        resumed = load("acme")
        _, err = resumed.communicate(timeout=600)
        assert resumed.returncode == 0, err.decode()
    acme_id = Tenant(SEED, SMALL).org_id
    truth = _truth(tmp_path, "2026-11-10", "2026-11-18", SEED, SMALL)
    for name, table in TABLES.items():
        found = differences(db, truth / f"{name}.parquet", table, org_id=acme_id)
        assert found == {}, ("acme", name)
    killed = [r for r in _log(db) if r[2] == "running"]
    assert killed, "the kill left no unfinished attempt: it came too late to test anything"
