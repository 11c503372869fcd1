"""Every query file parses and validates against the sandbox's SDL (written from Cisco's data
dictionaries), and each table's query selects exactly the table's columns: a field cannot be
selected and silently dropped, nor a column left unfed."""

from __future__ import annotations

from importlib import resources

import pytest
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse, validate

import queries
from sandbox.search.schema import schema
from warehouse.schemas import TASK_DETAILS, Table

GRAPHQL_NAMES = sorted(
    p.name.removesuffix(".graphql")
    for p in resources.files("queries").joinpath("graphql").iterdir()
    if p.name.endswith(".graphql")
)
# query file -> (table it feeds, the path of its record list)
RECORD_QUERIES: dict[str, tuple[Table, tuple[str, ...]]] = {
    "task_details": (TASK_DETAILS, ("taskDetails", "tasks")),
}


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
    table, path = RECORD_QUERIES[name]
    selected = _leaf_paths(_record_selection(name, path))
    assert selected == {c.api_path for c in table.columns}


def test_unknown_query_names_are_refused() -> None:
    with pytest.raises(KeyError):
        queries.graphql("no_such_query")
    with pytest.raises(KeyError):
        queries.sql("../pyproject")
