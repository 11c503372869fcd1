"""Variables the engine coerces itself (``sandbox.search.plan``): a value whose coercion is the
value (a string for ``String``, an in-range int for ``Long``, an enum value's name, a default)
must come out as graphql-core's coercion gives it, and anything else must go to graphql-core,
whose answers and error messages stay the service's."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from graphql import get_variable_values

from sandbox.search.plan import RequestError, _plan, compile_operation
from sandbox.search.schema import schema

QUERY = """query($from: Long!, $to: Long!, $cursor: String, $id: String!, $n: Long,
                $tc: QueryTimeType = endedTime, $tc2: QueryTimeType) {
  taskDetails(from: $from, to: $to, timeComparator: $tc, pagination: {cursor: $cursor},
              filter: {id: {equals: $id}}) { tasks { id } }
  other: taskDetails(from: $from, to: $to, timeComparator: $tc2,
                     filter: {endedTime: {gte: $n}}) { tasks { id } }
}"""
BASE: dict[str, Any] = {"from": 1, "to": 2, "id": "a"}
VALUES = [
    "x",
    "",
    "1795132800000",
    "1.0",
    "createdTime",
    "endedTime",
    "nope",
    0,
    -1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    1.0,
    1.5,
    True,
    False,
    None,
    [],
    {},
    ["x"],
]


def _graphql_core(variables: dict[str, Any]) -> dict[str, Any] | list[str]:
    op = _plan(QUERY, None).operation
    coerced = get_variable_values(schema(), op.variable_definitions, variables)
    if isinstance(coerced, list):
        return [e.message for e in coerced]
    return coerced


@pytest.mark.parametrize("name", ["from", "n", "cursor", "id", "tc", "tc2"])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_engine_coerces_a_value_as_graphql_core_or_leaves_it_to_it(
    name: str, value: Any
) -> None:
    variables = {**BASE, name: value}
    fast = _plan(QUERY, None).coerce(variables)
    expected = _graphql_core(variables)
    if fast is not None:
        assert fast == expected
        assert list(fast) == list(expected)  # the same order too
        assert [type(v) for v in fast.values()] == [type(v) for v in expected.values()]
    try:
        op = compile_operation(QUERY, variables, None)
    except RequestError as exc:
        assert isinstance(expected, list) and expected
        assert len(exc.errors) == len(expected)
    else:
        assert op.variables == expected


@pytest.mark.parametrize("missing", ["from", "cursor", "id", "n", "tc", "tc2"])
def test_an_absent_variable_is_coerced_as_graphql_core_does(missing: str) -> None:
    variables = {k: v for k, v in {**BASE, "cursor": "c", "n": 5}.items() if k != missing}
    fast = _plan(QUERY, None).coerce(variables)
    expected = _graphql_core(variables)
    if fast is not None:
        assert fast == expected and list(fast) == list(expected)
    else:
        assert isinstance(expected, list)  # only a missing required variable is left to it


def test_the_plain_values_of_a_paging_client_are_coerced_without_graphql_core() -> None:
    variables = {**BASE, "cursor": "NA", "n": 1_795_132_800_000, "tc2": "createdTime"}
    assert _plan(QUERY, None).coerce(variables) == _graphql_core(variables)


def test_a_variable_of_another_kind_leaves_the_whole_operation_to_graphql_core() -> None:
    query = "query($f: Boolean!) { taskDetails(from: 1, to: 2) { tasks { id @include(if: $f) } } }"
    assert _plan(query, None).coerce({"f": True}) is None
    op = compile_operation(query, {"f": True}, None)
    assert op.variables == {"f": True}


ARGUMENTS = """query($from: Long!, $to: Long!, $id: String, $ids: [TaskDetailsFilters],
                    $one: String, $f: TaskDetailsFilters, $after: String, $first: Int) {
  taskDetails(from: $from, to: $to, filter: {and: [{id: {equals: $id}}, {or: $ids},
              {lastQueue: {id: {equals: $one}}}, {or: [{id: {equals: $one}}, $f]}]},
              extFilter: null) {
    tasks { id activities(first: $first, after: $after) { totalCount } }
  }
  other: taskDetails(from: $from, to: $to, filter: $f) { tasks { id } }
}"""


def _argument_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [{"from": 1, "to": 2}]
    for name, values in {
        "id": ["a", None],
        "ids": [[{"id": {"equals": "a"}}, {"status": {"equals": "b"}}], [], None],
        "one": ["q", None],
        "f": [{"id": {"equals": "z"}}, None],
        "after": ["5", None],
        "first": [3, None],
    }.items():
        cases += [{"from": 1, "to": 2, name: v} for v in values]
    cases.append({"from": 1, "to": 2, "id": "a", "ids": [{}], "one": None, "after": "9"})
    return cases


@pytest.mark.parametrize("variables", _argument_cases(), ids=repr)
def test_arguments_bound_from_their_shape_equal_graphql_core_s(variables: dict[str, Any]) -> None:
    from graphql import get_argument_values

    from sandbox.search.plan import _UNUSABLE, _argument_shapes, _arguments

    op = _plan(ARGUMENTS, None).operation
    coerced = get_variable_values(schema(), op.variable_definitions, variables)
    assert isinstance(coerced, dict)
    query_type = schema().query_type
    assert query_type is not None
    roots = [s for s in op.selection_set.selections]
    tasks = roots[0].selection_set.selections[0]  # type: ignore[union-attr]
    activities = tasks.selection_set.selections[1]  # type: ignore[union-attr]
    task_type = query_type.fields["taskDetails"].type.fields["tasks"].type.of_type  # type: ignore[union-attr]
    fields = [
        (query_type.fields["taskDetails"], roots[0]),
        (query_type.fields["taskDetails"], roots[1]),
        (task_type.fields["activities"], activities),
    ]
    for _round in range(2):  # the shape computed, then reused
        for field_def, node in fields:
            expected = get_argument_values(field_def, node, coerced)  # type: ignore[arg-type]
            got = _arguments(field_def, node, coerced)  # type: ignore[arg-type]
            assert got == expected and orjson.dumps(got) == orjson.dumps(expected)
    assert any(
        kept[0] is roots[0] and kept[1] is not _UNUSABLE for kept in _argument_shapes.values()
    )  # taken from its shape, not graphql-core
