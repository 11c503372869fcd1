"""CAD variables: from each task's globalVariables JSON to typed rows of search.task_variable."""

import pytest

from warehouse.normalize import records_to_batch
from warehouse.schemas import TASK_VARIABLE
from warehouse.variables import (
    CadVariable,
    _inferred_batch,
    _inferred_columns,
    _typed_batch,
    _variables,
    parse_config,
    with_variables,
)

ORG = "org-1"


def _task(n: int, variables: object) -> dict:
    return {"id": f"task-{n}", "createdTime": 1_700_000_000_000 + n, "globalVariables": variables}


def _rows(records: list[dict], configured: tuple[CadVariable, ...] = ()) -> list[dict]:
    batch = records_to_batch(TASK_VARIABLE, with_variables(records, configured), ORG)
    assert batch.schema == TASK_VARIABLE.arrow
    return [{k: v for k, v in row.items() if v is not None} for row in batch.to_pylist()]


def test_without_configuration_every_variable_lands_in_the_column_of_its_json_type() -> None:
    rows = _rows(
        [_task(1, {"GV1": "ABC123", "GV2": 567890, "Rate": 0.5, "BooleanGV": True, "Empty": None})]
    )
    assert [(r["name"], {k for k in r if k.endswith("_value")}) for r in rows] == [
        ("BooleanGV", {"boolean_value"}),
        ("GV1", {"string_value"}),
        ("GV2", {"integer_value"}),
        ("Rate", {"double_value"}),
    ]
    assert all("type" not in r and r["task_id"] == "task-1" for r in rows)


def test_configured_variables_are_typed_and_others_left_out() -> None:
    configured = parse_config([{"name": "GV2", "type": "long"}, {"name": "Rate", "type": "Double"}])
    rows = _rows([_task(1, {"GV1": "x", "GV2": 7, "Rate": 2}), _task(2, {})], configured)
    assert [(r["task_id"], r["name"], r["type"]) for r in rows] == [
        ("task-1", "GV2", "long"),
        ("task-1", "Rate", "double"),
    ]
    assert rows[1]["double_value"] == 2.0


def test_a_list_of_name_value_objects_is_read_too() -> None:
    rows = _rows([_task(1, [{"name": "GV1", "value": "a"}, {"name": "GV3", "value": 3}])])
    assert [(r["name"], r.get("string_value"), r.get("integer_value")) for r in rows] == [
        ("GV1", "a", None),
        ("GV3", None, 3),
    ]


def test_a_task_without_variables_lands_no_rows() -> None:
    assert _rows([_task(1, None), _task(2, {})]) == []


@pytest.mark.parametrize(
    "entries, message",
    [
        ([{"name": "GV1"}], "must have a name and a type"),
        ([{"name": "GV1", "type": "date"}], "is not one of"),
    ],
)
def test_a_bad_configuration_is_refused_clearly(entries: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_config(entries)


def test_a_value_that_does_not_fit_its_configured_type_is_refused() -> None:
    with pytest.raises(ValueError, match="configured as integer"):
        with_variables([_task(1, {"GV1": "abc"})], (CadVariable("GV1", "integer"),))


_PAGES = {
    "every kind": [
        {"b": "x", "a": 1, "c": 0.5, "d": True, "e": None, "f": [1], "g": {"h": 1}},
        {},
        None,
        {"a": -(2**63), "z": False, "y": "", "é": 'ü"\\'},
    ],
    "one kind": [{"s1": "a", "s2": "b"}, {"s3": "c"}],
    "none at all": [None, {}, {"n": None}],
    "a list of name/value objects": [[{"name": "GV3", "value": 3}, {"name": "GV1", "value": "a"}]],
    "a name that is not text": [[{"name": 5, "value": "a"}]],
    "an integer beyond 64 bits": [{"big": 2**64}],
}


@pytest.mark.parametrize("name", list(_PAGES))
def test_unconfigured_rows_built_column_wise_are_the_row_objects_rows(name: str) -> None:
    found = _PAGES[name]
    ids = [f"task-{n}" for n in range(len(found))]
    created = [1_700_000_000_000 + n for n in range(len(found) - 1)] + [-1]
    by_rows = _typed_batch(ids, created, [_variables(v, ()) for v in found], ORG)
    by_columns = _inferred_batch(ids, created, _inferred_columns(found), ORG)
    if by_rows is None:  # the normalizer names the value: both leave it to it
        assert by_columns is None
        return
    assert by_columns is not None
    assert by_columns.schema == TASK_VARIABLE.arrow
    assert by_columns.equals(by_rows), (by_columns.to_pylist(), by_rows.to_pylist())
    assert by_columns.num_rows == sum(len(_variables(v, ())) for v in found)


def test_a_value_unconfigured_rows_cannot_read_fails_as_before() -> None:
    with pytest.raises(AttributeError):
        _variables("not an object", ())
    with pytest.raises(AttributeError):
        _inferred_columns([{"a": 1}, "not an object"])
