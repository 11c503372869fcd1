"""The reporting.* tables keep CONTRACT.md's names and keys and the column naming rule."""

from __future__ import annotations

import pytest

from warehouse.catalog import TABLES
from warehouse.schemas import UTC_MS, Table, snake_case
from warehouse.schemas_reporting import TABLES as REPORTING

CONTRACT_KEYS = {
    "reporting.tasks": ("id",),
    "reporting.queue_statistics": ("queue_id", "interval_start_time", "channel_type"),
    "reporting.agent_statistics": ("agent_id", "interval_start_time", "channel_type"),
    "reporting.agent_activities": ("agent_session_id", "channel_id", "start_time"),
    "reporting.captures": ("task_id", "id"),
}


def test_the_catalog_holds_the_contracts_tables() -> None:
    assert {t.qualified_name: t.key for t in REPORTING} == CONTRACT_KEYS
    assert all(TABLES[t.qualified_name] is t for t in REPORTING)


@pytest.mark.parametrize("table", REPORTING, ids=lambda t: t.qualified_name)
def test_columns_are_api_paths_in_snake_case(table: Table) -> None:
    for column in table.columns:
        assert column.name == snake_case(column.api_path) and not column.from_parent
    assert table.arrow.field(table.time_column).type == UTC_MS
    names = table.column_names
    assert len(names) == len(set(names)) and names[0] == "org_id"
    for column in table.columns:
        if column.api_path.endswith(("Duration", "Time")) and column.kind != "instant":
            # durations stay BIGINT ms; averages are doubles
            assert column.graphql_type in ("Long", "Float"), column.name
