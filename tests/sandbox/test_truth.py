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
from warehouse.schemas import TABLES, TASK_DETAILS

DAY = (date(2024, 3, 8) - date(1970, 1, 1)).days  # a Friday, org-local
FROM, TO = day_start(DAY) + 9 * HOUR_MS, day_start(DAY) + 15 * HOUR_MS
NOW = (
    day_start(DAY) + 14 * HOUR_MS
)  # inside the window: later tasks do not exist yet, some are open


SEARCH_TABLES = sorted(name for name in TABLES if name.startswith("search."))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("truth")
    paths = write_truth(
        out, seed=42, tasks_per_day=2000, now_ms=NOW, from_ms=FROM, to_ms=TO, families=("search",)
    )
    assert paths[0] == out / "search.task_details.parquet"
    assert sorted(p.name for p in paths) == [f"{name}.parquet" for name in SEARCH_TABLES]
    return {p.name.removesuffix(".parquet"): p for p in paths}


@pytest.fixture(scope="module")
def truth(written: dict[str, Path]) -> Path:
    return written["search.task_details"]


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


def test_an_empty_window_writes_empty_typed_files(tmp_path: Path) -> None:
    paths = write_truth(
        tmp_path,
        seed=42,
        tasks_per_day=2000,
        now_ms=FROM,
        from_ms=FROM,
        to_ms=TO,
        families=("search",),
    )
    assert len(paths) == len(SEARCH_TABLES)
    for path in paths:
        table = pq.read_table(path)
        assert table.num_rows == 0
        assert table.schema.equals(
            TABLES[path.name.removesuffix(".parquet")].arrow, check_metadata=False
        )
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("name", SEARCH_TABLES)
def test_every_table_has_its_schema_and_unique_keys(written: dict[str, Path], name: str) -> None:
    spec = TABLES[name]
    table = pq.read_table(written[name])
    assert table.schema.equals(spec.arrow, check_metadata=False)
    for got, want in zip(table.schema, spec.arrow, strict=True):
        assert got.type == want.type and got.name == want.name
        assert (got.metadata or {}) == (want.metadata or {}), got.name
    assert table.num_rows > 0
    keys = list(zip(*(table.column(k).to_pylist() for k in ("org_id", *spec.key)), strict=True))
    assert len(set(keys)) == len(keys), f"{name}: duplicate keys"
    assert all(None not in k for k in keys)
    window = pc.cast(table.column(spec.time_column), "int64").to_pylist()
    assert all(FROM <= t < NOW for t in window), f"{name}: rows outside the window"


def test_row_counts_are_the_models(written: dict[str, Path]) -> None:
    tenant = Tenant(42, 2000)
    rows = {name: pq.read_table(path).num_rows for name, path in written.items()}
    tasks = list(tenant.tasks(FROM, TO, NOW))
    sessions = list(tenant.agent_sessions_records(FROM, TO, NOW))
    assert rows["search.task_details"] == rows["search.task"] == len(tasks)
    assert rows["search.task_activity"] == sum(len(t["_activities"]) for t in tasks)
    assert (
        rows["search.agent_session"] == len(sessions) == tenant.agent_session_count(FROM, TO, NOW)
    )
    assert rows["search.agent_session_channel"] == sum(len(s["channelInfo"]) for s in sessions)
    assert rows["search.agent_activity"] == sum(
        len(c["_activities"]) for s in sessions for c in s["channelInfo"]
    )
    assert rows["search.task_leg_details"] == tenant.task_leg_count(FROM, TO, NOW) >= len(tasks)


def test_child_rows_carry_their_parents(written: dict[str, Path]) -> None:
    sessions = pq.read_table(written["search.agent_session"]).to_pylist()
    by_id = {s["agent_session_id"]: s for s in sessions}
    channels = pq.read_table(written["search.agent_session_channel"]).to_pylist()
    channel_types = {}
    for c in channels:
        parent = by_id[c["agent_session_id"]]
        assert c["agent_session_start_time"] == parent["start_time"]
        channel_types[c["channel_id"]] = c["channel_type"]
    for a in pq.read_table(written["search.agent_activity"]).to_pylist()[:2000]:
        assert a["agent_session_start_time"] == by_id[a["agent_session_id"]]["start_time"]
        assert channel_types[a["channel_id"]] == a["channel_type"]
        assert a["id"].startswith(f"{a['channel_id']}-{a['channel_type']}-")
    tasks = {t["id"]: t for t in pq.read_table(written["search.task_details"]).to_pylist()}
    for a in pq.read_table(written["search.task_activity"]).to_pylist()[:2000]:
        assert a["task_created_time"] == tasks[a["task_id"]]["created_time"]
        assert a["id"].startswith(a["task_id"])
    legacy = pq.read_table(written["search.task"]).to_pylist()
    for t in legacy:
        assert t["entry_point_name"] == t["last_entry_point_name"] is not None
        assert t["owner_id"] == tasks[t["id"]]["last_agent_id"]


def test_open_sessions_have_no_end_time(written: dict[str, Path]) -> None:
    sessions = pq.read_table(written["search.agent_session"])
    active = sessions.filter(pc.field("is_active"))
    assert active.num_rows > 0  # at 14:00 every session of the window is still logged in
    assert active.column("end_time").null_count == active.num_rows
    assert sessions.filter(~pc.field("is_active")).column("end_time").null_count == 0
    current = pq.read_table(written["search.agent_activity"]).filter(
        pc.field("is_current_activity")
    )
    assert current.num_rows > 0 and current.column("end_time").null_count == current.num_rows
    legs = pq.read_table(written["search.task_leg_details"])
    open_legs = legs.filter(pc.field("is_active"))
    assert open_legs.num_rows > 0
    assert open_legs.column("ended_time").null_count == open_legs.num_rows
