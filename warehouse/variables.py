"""CAD (global) variables of tasks, from each record's ``globalVariables`` JSON to typed rows.

Which variables land, and as which type, is configured (``cad_variables`` in WXCC_CONFIG: a list
of ``{name, type}`` with type one of string, integer, long, double, boolean). Without a
configuration every variable lands in the value column of its JSON type, with ``type`` null (JSON
cannot tell an integer variable from a long one). A configured variable a task does not carry lands
no row (the API reports it as ``{"name": null, "value": null}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warehouse.json_arrow import DecodedPage
from warehouse.schemas import TASK_VARIABLE

TYPES = ("string", "integer", "long", "double", "boolean")
_COLUMN = {
    "string": "stringValue",
    "integer": "integerValue",
    "long": "integerValue",
    "double": "doubleValue",
    "boolean": "booleanValue",
}
_EMPTY = {"stringValue": None, "integerValue": None, "doubleValue": None, "booleanValue": None}


@dataclass(frozen=True)
class CadVariable:
    name: str
    type: str

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(
                f"CAD variable {self.name!r}: type {self.type!r} is not one of {', '.join(TYPES)}"
            )


def parse_config(entries: Iterable[Mapping[str, Any]] | None) -> tuple[CadVariable, ...]:
    """``cad_variables`` of the config file; raises ``ValueError`` naming a bad entry."""
    found = []
    for n, entry in enumerate(entries or ()):
        if not isinstance(entry, Mapping) or not {"name", "type"} <= set(entry):
            raise ValueError(f"cad_variables[{n}] must have a name and a type, got {entry!r}")
        found.append(CadVariable(str(entry["name"]), str(entry["type"]).lower()))
    return tuple(found)


def _inferred(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return None  # null or a nested value: nothing to type


def _row(name: str, kind: str, value: Any, *, declared: bool = True) -> dict[str, Any]:
    if kind in ("integer", "long") and isinstance(value, bool | float | str):
        raise ValueError(f"CAD variable {name!r} is configured as {kind} but holds {value!r}")
    if kind == "double" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind == "string" and not isinstance(value, str):
        value = str(value)
    return {"name": name, "type": kind if declared else None, **_EMPTY, _COLUMN[kind]: value}


def with_variables(
    records: Sequence[dict[str, Any]] | DecodedPage, configured: Sequence[CadVariable] = ()
) -> Sequence[dict[str, Any]] | DecodedPage:
    """The records, each with the derived list ``_variables`` the task_variable table reads.

    A page decoded into Arrow (``warehouse.json_arrow``) gets the same lists from its decoded
    ``globalVariables`` values, as the records (task id, creation time, list) of its
    task_variable rows: the same rows and the same errors as from the record dicts.
    """
    if isinstance(records, DecodedPage):
        ids = records.kept_values("id")
        created = records.kept_values("createdTime")
        values = records.kept_json("globalVariables")
        records.derived[TASK_VARIABLE.qualified_name] = [
            {"id": i, "createdTime": t, "_variables": _variables(v, configured)}
            for i, t, v in zip(ids, created, values, strict=True)
        ]
        return records
    for record in records:
        record["_variables"] = _variables(record.get("globalVariables"), configured)
    return records


def _variables(values: Any, configured: Sequence[CadVariable]) -> list[dict[str, Any]]:
    """The task_variable rows of one task's ``globalVariables`` value."""
    values = values or {}
    if isinstance(values, list):  # tolerate a list of {name, value} as well as a map
        values = {v.get("name"): v.get("value") for v in values if isinstance(v, dict)}
    rows = []
    if configured:
        for var in configured:
            if values.get(var.name) is not None:
                rows.append(_row(var.name, var.type, values[var.name]))
    else:
        for name, value in sorted(values.items()):
            kind = _inferred(value)
            if kind is not None:
                rows.append(_row(name, kind, value, declared=False))
    return rows
