"""Variables the engine coerces itself (``sandbox.search.plan``): a value whose coercion is the
value (a string for ``String``, an in-range int for ``Long``, an enum value's name, a default)
must come out as graphql-core's coercion gives it, and anything else must go to graphql-core,
whose answers and error messages stay the service's."""

from __future__ import annotations

from typing import Any

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
