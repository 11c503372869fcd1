"""Ground truth files: one Parquet per warehouse table, typed exactly as the warehouse schema."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sandbox.clock import HOUR_MS, day_start
from sandbox.model import Tenant
from sandbox.truth import write_truth
from warehouse.schemas import TASK_DETAILS

DAY = (date(2024, 3, 8) - date(1970, 1, 1)).days  # a Friday, org-local
FROM, TO = day_start(DAY) + 9 * HOUR_MS, day_start(DAY) + 15 * HOUR_MS
NOW = (
    day_start(DAY) + 14 * HOUR_MS
)  # inside the window: later tasks do not exist yet, some are open


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("truth")
    paths = write_truth(out, seed=42, tasks_per_day=2000, now_ms=NOW, from_ms=FROM, to_ms=TO)
    assert paths == [out / "search.task_details.parquet"]
    return paths[0]


def test_columns_and_types_are_the_warehouse_schema(truth: Path) -> None:
    table = pq.read_table(truth)
    assert table.schema.names == TASK_DETAILS.arrow.names
    assert table.schema.names[0] == "org_id"
    for got, want in zip(table.schema, TASK_DETAILS.arrow, strict=True):
        assert got.type == want.type, got.name
    assert table.schema.equals(TASK_DETAILS.arrow, check_metadata=False)


def test_rows_are_the_models_tasks(truth: Path) -> None:
    tenant = Tenant(42, 2000)
    table = pq.read_table(truth)
    assert table.num_rows == tenant.task_count(FROM, TO, NOW) > 0
    ids = table.column("id").to_pylist()
    assert len(set(ids)) == len(ids)
    assert set(table.column("org_id").to_pylist()) == {tenant.org_id}
    created = pc.cast(table.column("created_time"), "int64").to_pylist()
    assert all(FROM <= c < NOW for c in created)


def test_values_are_flattened_from_api_paths(truth: Path) -> None:
    tenant = Tenant(42, 2000)
    records = {r["id"]: r for r in tenant.tasks(FROM, TO, NOW)}
    rows = pq.read_table(truth).to_pylist()
    for row in rows[:300]:
        rec = records[row["id"]]
        assert row["last_agent_id"] == rec["lastAgent"]["id"]
        assert (
            row["channel_meta_data_chat_chat_reason"]
            == rec["channelMetaData"]["chat"]["chatReason"]
        )
        assert row["total_duration"] == rec["totalDuration"]
        assert int(row["created_time"].timestamp() * 1000) == rec["createdTime"]
        assert str(row["created_time"].tzinfo) == "UTC"
        assert json.loads(row["global_variables"]) == rec["globalVariables"]
        assert row["global_variables"] == json.dumps(
            rec["globalVariables"], separators=(",", ":"), sort_keys=True
        )
        assert row["required_skills"] is None or isinstance(
            json.loads(row["required_skills"]), list
        )


def test_an_open_task_has_a_null_ended_time(truth: Path) -> None:
    table = pq.read_table(truth)
    active = table.filter(pc.field("is_active"))
    assert active.num_rows > 0
    assert active.column("ended_time").null_count == active.num_rows
    assert active.column("termination_type").null_count == active.num_rows
    done = table.filter(~pc.field("is_active"))
    assert done.column("ended_time").null_count == 0


def test_an_empty_window_writes_an_empty_typed_file(tmp_path: Path) -> None:
    [path] = write_truth(tmp_path, seed=42, tasks_per_day=2000, now_ms=FROM, from_ms=FROM, to_ms=TO)
    table = pq.read_table(path)
    assert table.num_rows == 0
    assert table.schema.equals(TASK_DETAILS.arrow, check_metadata=False)
    assert not list(tmp_path.glob("*.tmp"))
