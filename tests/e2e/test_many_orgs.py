"""Two orgs from one sandbox process (``--orgs 2``): each org's load equals the truth."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from sandbox.model import Tenant
from sandbox.tenants import org_identity
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences
from tests.support import SEED, TASKS_PER_DAY, Pipeline, ms, point_at, sandbox
from warehouse import duck
from warehouse.schemas import TABLES

NOW = "2026-11-20T15:30:00"


def _relabelled(truth: Path, out: Path, org_id: str) -> Path:
    """The truth's files with ``org_id`` set to another org serving the same days."""
    out.mkdir()
    for path in truth.glob("*.parquet"):
        table = pq.read_table(path)
        field = table.schema.field("org_id")
        column = pa.array([org_id] * table.num_rows, field.type)
        pq.write_table(table.set_column(0, field, column), out / path.name)
    return out


def test_two_orgs_served_by_one_sandbox_process_each_load_their_own_truth(
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fresh_pipelines: Callable[[], ModuleType],
) -> None:
    acme = Tenant(SEED, TASKS_PER_DAY).org_id
    beta = org_identity(acme, 2)
    with sandbox(NOW, orgs=2) as url:
        config = {
            "orgs": [
                {"name": "acme"},  # the single-org variables: org 1's integration
                {
                    "name": "beta",
                    "client_id_env": "BETA_CLIENT_ID",
                    "client_secret_env": "BETA_CLIENT_SECRET",
                    "refresh_token_env": "BETA_REFRESH_TOKEN",
                },
            ]
        }
        path = tmp_path / "wxcc.yaml"
        path.write_text(yaml.safe_dump(config))
        monkeypatch.setenv("WXCC_CONFIG", str(path))
        monkeypatch.setenv("BETA_CLIENT_ID", beta.client_id)
        monkeypatch.setenv("BETA_CLIENT_SECRET", beta.client_secret)
        monkeypatch.setenv("BETA_REFRESH_TOKEN", beta.refresh_token)
        point_at(monkeypatch, url)
        # Definitions read the org list when the code location loads: load them afresh.
        code = fresh_pipelines().cli.main(
            ["load", "--from", "2026-11-18", "--to", "2026-11-19", "--no-progress"]
            + ["--source", "search"]
        )
        assert code == 0
    db = pipeline.data_dir / "warehouse.duckdb"
    with duck.connect(db, read_only=True) as con:
        logged = con.execute("SELECT DISTINCT org, org_id FROM ops.extraction_log").fetchall()
        rows = dict(
            con.execute("SELECT org_id, count(*) FROM search.task_details GROUP BY 1").fetchall()
        )
    # each org's id came from its own token
    assert sorted(logged) == [("acme", acme), ("beta", beta.org_id)]
    assert rows[acme] == rows[beta.org_id] > 100
    truth = tmp_path / "truth"
    write_truth(
        truth,
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        from_ms=ms("2026-11-18T00:00:00"),
        to_ms=ms("2026-11-19T00:00:00"),
        families=("search",),
    )
    beta_truth = _relabelled(truth, tmp_path / "truth-beta", beta.org_id)
    for name, table in TABLES.items():
        assert differences(db, truth / f"{name}.parquet", table, org_id=acme) == {}, name
        found = differences(db, beta_truth / f"{name}.parquet", table, org_id=beta.org_id)
        assert found == {}, name
