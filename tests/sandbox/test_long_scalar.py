"""The Long scalar accepts and refuses what graphql-java-extended-scalars' GraphQLLong does, with
graphql-java's messages (sandbox/README.md, "Requests real clients send")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox._search_support import DAY_END, DAY_START, engine, error_message, run

WINDOW_QUERY = (
    "query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to) { tasks { id } } }"
)


def _ids(query: str, variables: dict[str, Any] | None = None) -> list[str]:
    body = run(engine(), query, variables)
    assert body["_status"] == 200 and "errors" not in body, body.get("errors")
    return [t["id"] for t in body["data"]["taskDetails"]["tasks"]]


@pytest.fixture(scope="module")
def reference() -> list[str]:
    return _ids(f"{{ taskDetails(from: {DAY_START}, to: {DAY_END}) {{ tasks {{ id }} }} }}")


@pytest.mark.parametrize(
    ("from_literal", "to_literal"),
    [
        (f'"{DAY_START}"', f'"{DAY_END}"'),
        (f'"+{DAY_START}"', str(DAY_END)),
        (f'"{DAY_START}"', f'"0{DAY_END}"'),
    ],
)
def test_quoted_literals_are_read_as_numbers(
    from_literal: str, to_literal: str, reference: list[str]
) -> None:
    query = f"{{ taskDetails(from: {from_literal}, to: {to_literal}) {{ tasks {{ id }} }} }}"
    assert reference and _ids(query) == reference


@pytest.mark.parametrize(
    ("from_value", "to_value"),
    [
        (str(DAY_START), str(DAY_END)),  # Power BI and Flow templates send strings
        (f"{DAY_START}.0", f"{DAY_END / 1000}e3"),  # BigDecimal reads these exactly
        (DAY_START, float(DAY_END)),  # a JSON double with an integral value
    ],
)
def test_string_and_integral_variables_are_accepted(
    from_value: Any, to_value: Any, reference: list[str]
) -> None:
    assert _ids(WINDOW_QUERY, {"from": from_value, "to": to_value}) == reference


def test_quoted_long_inside_a_filter_filters(reference: list[str]) -> None:
    query = (
        f"{{ taskDetails(from: {DAY_START}, to: {DAY_END}, "
        f'filter: {{totalDuration: {{gte: "600000"}}}}) {{ tasks {{ id totalDuration }} }} }}'
    )
    body = run(engine(), query)
    tasks = body["data"]["taskDetails"]["tasks"]
    assert tasks and all(t["totalDuration"] >= 600_000 for t in tasks)
    assert len(tasks) < len(reference)


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        (
            '"abc"',
            "Validation error (WrongType@[taskDetails]) : argument 'from' with value "
            "'StringValue{value='abc'}' is not a valid 'Long' - Expected value to be a Long but "
            "it was 'StringValue{value='abc'}'",
        ),
        (
            f'"{DAY_START}.0"',  # parseLong reads no decimal point, unlike a variable
            "Validation error (WrongType@[taskDetails]) : argument 'from' with value "
            f"'StringValue{{value='{DAY_START}.0'}}' is not a valid 'Long' - Expected value to be "
            f"a Long but it was 'StringValue{{value='{DAY_START}.0'}}'",
        ),
        (
            f'" {DAY_START}"',
            "Validation error (WrongType@[taskDetails]) : argument 'from' with value "
            f"'StringValue{{value=' {DAY_START}'}}' is not a valid 'Long' - Expected value to be "
            f"a Long but it was 'StringValue{{value=' {DAY_START}'}}'",
        ),
        (
            '"9223372036854775808"',
            "Validation error (WrongType@[taskDetails]) : argument 'from' with value "
            "'StringValue{value='9223372036854775808'}' is not a valid 'Long' - Expected value "
            "to be a Long but it was 'StringValue{value='9223372036854775808'}'",
        ),
        (
            "9223372036854775808",
            "Validation error (WrongType@[taskDetails]) : argument 'from' with value "
            "'IntValue{value=9223372036854775808}' is not a valid 'Long' - Expected value to be "
            "in the Long range but it was '9223372036854775808'",
        ),
        (
            "1.5",
            "Validation error (WrongType@[taskDetails]) : argument 'from' with value "
            "'FloatValue{value=1.5}' is not a valid 'Long' - Expected AST type 'IntValue' or "
            "'StringValue' but was 'FloatValue'.",
        ),
        (
            "true",
            "Validation error (WrongType@[taskDetails]) : argument 'from' with value "
            "'BooleanValue{value=true}' is not a valid 'Long' - Expected AST type 'IntValue' or "
            "'StringValue' but was 'BooleanValue'.",
        ),
    ],
)
def test_literals_the_scalar_refuses(literal: str, message: str) -> None:
    query = f"{{ taskDetails(from: {literal}, to: {DAY_END}) {{ tasks {{ id }} }} }}"
    body = run(engine(), query)
    assert body["_status"] == 400
    assert body["errors"] == [
        {
            "message": message,
            "locations": [{"line": 1, "column": 21}],
            "extensions": {"classification": "ValidationError"},
        }
    ]


def test_a_refused_literal_inside_a_filter_names_its_argument_path() -> None:
    query = (
        f"{{ taskDetails(from: {DAY_START}, to: {DAY_END}, "
        f'filter: {{and: [{{totalDuration: {{gte: "1 000"}}}}]}}) {{ tasks {{ id }} }} }}'
    )
    assert error_message(engine(), query) == (
        "Validation error (WrongType@[taskDetails]) : argument 'filter.and[0].totalDuration.gte' "
        "with value 'StringValue{value='1 000'}' is not a valid 'Long' - Expected value to be a "
        "Long but it was 'StringValue{value='1 000'}'"
    )


@pytest.mark.parametrize(
    ("value", "java_type"),
    [
        ("abc", "String"),
        ("1.5", "String"),
        (f" {DAY_START}", "String"),
        ("0x10", "String"),
        ("", "String"),
        ("9223372036854775808", "String"),
        (1.5, "Double"),
        (2**63, "BigInteger"),
        (True, "Boolean"),
        ({"ms": DAY_START}, "LinkedHashMap"),
    ],
)
def test_variables_the_scalar_refuses(value: Any, java_type: str) -> None:
    body = run(engine(), WINDOW_QUERY, {"from": value, "to": DAY_END})
    assert body["_status"] == 400
    assert body["errors"] == [
        {
            "message": f"Variable 'from' has an invalid value: Expected type 'Long' but was "
            f"'{java_type}'.",
            "locations": [{"line": 1, "column": 7}],
            "extensions": {"classification": "ValidationError"},
        }
    ]


def test_long_inside_an_input_variable() -> None:
    query = (
        "query($from: Long!, $to: Long!, $filter: TaskDetailsFilters) "
        "{ taskDetails(from: $from, to: $to, filter: $filter) { tasks { totalDuration } } }"
    )
    window = {"from": DAY_START, "to": DAY_END}
    accepted = run(engine(), query, {**window, "filter": {"totalDuration": {"gte": "600000"}}})
    tasks = accepted["data"]["taskDetails"]["tasks"]
    assert tasks and all(t["totalDuration"] >= 600_000 for t in tasks)
    refused = run(engine(), query, {**window, "filter": {"totalDuration": {"gte": "10 min"}}})
    assert refused["_status"] == 400
    assert [e["message"] for e in refused["errors"]] == [
        "Variable 'filter' has an invalid value: Expected type 'Long' but was 'String'."
    ]
