"""Every query file parses and validates against the sandbox's SDL (written from Cisco's data
dictionaries), and each table's query selects exactly the table's columns: a field cannot be
selected and silently dropped, nor a column left unfed."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse, validate

import queries
from sandbox.search.schema import schema
from warehouse.schemas import (
    AGENT_ACTIVITY,
    AGENT_SESSION,
    AGENT_SESSION_CHANNEL,
    TABLES,
    TASK,
    TASK_ACTIVITY,
    TASK_DETAILS,
    TASK_LEG_DETAILS,
    Table,
)

GRAPHQL_NAMES = sorted(
    p.name.removesuffix(".graphql")
    for p in resources.files("queries").joinpath("graphql").iterdir()
    if p.name.endswith(".graphql")
)
# query file -> (tables its records feed, the path of its record list). A child table's rows sit
# inside the records (Table.query_path); parent columns are the record's own fields.
RECORD_QUERIES: dict[str, tuple[tuple[Table, ...], tuple[str, ...]]] = {
    "task_details": ((TASK_DETAILS,), ("taskDetails", "tasks")),
    "task_activities": ((TASK_ACTIVITY,), ("taskDetails", "tasks")),
    "task": ((TASK,), ("task", "tasks")),
    "agent_sessions": ((AGENT_SESSION, AGENT_SESSION_CHANNEL), ("agentSession", "agentSessions")),
    "agent_activities": ((AGENT_ACTIVITY,), ("agentSession", "agentSessions")),
    "task_leg_details": ((TASK_LEG_DETAILS,), ("taskLegDetails", "taskLegs")),
}
# query file for further activity pages -> the query whose activity nodes it must repeat
MORE_QUERIES = {
    "task_activities_more": ("task_activities", ("taskDetails", "tasks")),
    "agent_activities_more": ("agent_activities", ("agentSession", "agentSessions")),
}
# Inner paging fields of an activities connection: read by the client, not landed.
_PAGING = re.compile(r"(^|\.)activities\.(totalCount|pageInfo\.hasNextPage|pageInfo\.endCursor)$")


@pytest.mark.parametrize("name", GRAPHQL_NAMES)
def test_query_validates_against_the_sandbox_sdl(name: str) -> None:
    errors = validate(schema(), parse(queries.graphql(name)))
    assert [e.message for e in errors] == []


def _leaf_paths(selection: SelectionSetNode, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for node in selection.selections:
        assert isinstance(node, FieldNode)
        path = f"{prefix}{node.name.value}"
        if node.selection_set is None:
            paths.add(path)
        else:
            paths |= _leaf_paths(node.selection_set, f"{path}.")
    return paths


def _record_selection(name: str, path: tuple[str, ...]) -> SelectionSetNode:
    [operation] = parse(queries.graphql(name)).definitions
    assert isinstance(operation, OperationDefinitionNode)
    selection = operation.selection_set
    for field_name in path:
        node = next(
            n
            for n in selection.selections
            if isinstance(n, FieldNode) and n.name.value == field_name
        )
        assert node.selection_set is not None
        selection = node.selection_set
    return selection


@pytest.mark.parametrize("name", sorted(RECORD_QUERIES))
def test_record_query_selects_exactly_the_tables_columns(name: str) -> None:
    tables, path = RECORD_QUERIES[name]
    selected = {p for p in _leaf_paths(_record_selection(name, path)) if not _PAGING.search(p)}
    assert selected == {t.query_path(c) for t in tables for c in t.columns}


# Tables derived from a selected field rather than selected field by field: the CAD variables come
# from taskDetails' `globalVariables` JSON (warehouse.variables).
DERIVED = {"search.task_variable": ("task_details", "globalVariables")}


def test_every_record_table_has_a_query() -> None:
    fed = {t.qualified_name for tables, _ in RECORD_QUERIES.values() for t in tables}
    searched = {t.qualified_name for t in TABLES.values() if t.schema == "search"}
    assert fed | set(DERIVED) == searched


@pytest.mark.parametrize("table", sorted(DERIVED))
def test_derived_tables_read_a_selected_field(table: str) -> None:
    query, field = DERIVED[table]
    _tables, path = RECORD_QUERIES[query]
    assert field in _leaf_paths(_record_selection(query, path))


@pytest.mark.parametrize("name", sorted(MORE_QUERIES))
def test_further_activity_pages_select_the_same_activity_fields(name: str) -> None:
    first, path = MORE_QUERIES[name]

    def activities(query: str) -> set[str]:
        return {
            p.split("activities.", 1)[1]
            for p in _leaf_paths(_record_selection(query, path))
            if "activities." in p
        }

    assert activities(name) == activities(first)
    assert any(p.startswith("nodes.") for p in activities(name))


def test_unknown_query_names_are_refused() -> None:
    with pytest.raises(KeyError):
        queries.graphql("no_such_query")
    with pytest.raises(KeyError):
        queries.sql("../pyproject")
