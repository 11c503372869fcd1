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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.json_arrow import DecodedPage
from warehouse.normalize import empty_batch, records_to_batch
from warehouse.schemas import TASK_VARIABLE, UTC_MS

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
    if entries is not None and not isinstance(entries, list | tuple):
        raise ValueError(f"cad_variables must be a list of {{name, type}} entries, not {entries!r}")
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
        # Without a configuration (the usual case) the rows are read straight into columns;
        # a configured list goes through the row objects (_variables).
        inferred = None if configured else _inferred_columns(values)
        rows = [] if inferred is not None else [_variables(v, configured) for v in values]

        def build(org_id: str) -> pa.RecordBatch:
            if inferred is not None:
                batch = _inferred_batch(ids, created, inferred, org_id)
                if batch is not None:
                    return batch
                rows[:] = [_variables(v, configured) for v in values]
            batch = _typed_batch(ids, created, rows, org_id)
            if batch is not None:
                return batch
            # a value the normalizer refuses: it names it, as for the record dicts
            found = [
                {"id": i, "createdTime": t, "_variables": r}
                for i, t, r in zip(ids, created, rows, strict=True)
            ]
            return records_to_batch(TASK_VARIABLE, found, org_id)

        records.derived[TASK_VARIABLE.qualified_name] = build
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


# What _inferred reads a JSON value as, by its exact type (orjson makes no subclasses): the index
# of the value column it lands in (_TYPED's order); None, lists and objects land no row.
_KIND_OF: dict[type, int] = {str: 0, int: 1, float: 2, bool: 3}


@dataclass
class _Inferred:
    """Unconfigured task_variable rows of a page, column by column: each row's task (index in
    the page), name and value column (index in _TYPED); per value column, its rows' values."""

    owners: list[int]
    names: list[Any]
    kinds: list[int]
    values: tuple[list[Any], ...]


def _inferred_columns(found: Sequence[Any]) -> _Inferred:
    """:func:`_variables` without a configuration for every task of a page, without a row
    object per variable (its rows, in its order)."""
    owners: list[int] = []
    names: list[Any] = []
    kinds: list[int] = []
    values: tuple[list[Any], ...] = tuple([] for _ in _TYPED)
    kind_of = _KIND_OF
    for n, task in enumerate(found):
        if type(task) is not dict:
            # a list of {name, value}, or a value _variables refuses the way it does
            for row in _variables(task, ()):
                kind = next(k for k, (key, _, _) in enumerate(_TYPED) if row[key] is not None)
                owners.append(n)
                names.append(row["name"])
                kinds.append(kind)
                values[kind].append(row[_TYPED[kind][0]])
            continue
        for name in sorted(task):
            value = task[name]
            kind = kind_of.get(type(value))
            if kind is not None:
                owners.append(n)
                names.append(name)
                kinds.append(kind)
                values[kind].append(value)
    return _Inferred(owners, names, kinds, values)


def _inferred_batch(
    ids: list[str], created: list[int | None], rows: _Inferred, org_id: str
) -> pa.RecordBatch | None:
    """:func:`_typed_batch` of unconfigured rows (no ``type``): each value column null but
    where the row's value is of its kind. None: a value the normalizer refuses."""
    n = len(rows.owners)
    if not n:
        return empty_batch(TASK_VARIABLE)
    if not set(map(type, rows.names)) <= {str}:
        return None
    owners = pa.array(rows.owners, pa.int64())
    kinds = np.array(rows.kinds, dtype=np.int8)
    columns = [
        pa.array([org_id] * n, pa.string()),
        pa.array(ids, pa.string()).take(owners),
        _instants(created).take(owners),
        pa.array(rows.names, pa.string()),
        pa.nulls(n, pa.string()),
    ]
    for kind, (_, arrow_type, _) in enumerate(_TYPED):
        picked = rows.values[kind]
        if not picked:
            columns.append(pa.nulls(n, arrow_type))
            continue
        try:
            typed = pa.array(picked, arrow_type)
        except (OverflowError, pa.ArrowInvalid):  # an integer beyond 64 bits
            return None
        if len(picked) == n:
            columns.append(typed)
        else:
            mine = pa.array(kinds == kind)
            columns.append(pc.replace_with_mask(pa.nulls(n, arrow_type), mine, typed))
    return pa.RecordBatch.from_arrays(columns, schema=TASK_VARIABLE.arrow)


# Per value column of task_variable, the only types it takes from _row (None: not this kind).
_TYPED = (
    ("stringValue", pa.string(), {str, type(None)}),
    ("integerValue", pa.int64(), {int, type(None)}),
    ("doubleValue", pa.float64(), {float, type(None)}),
    ("booleanValue", pa.bool_(), {bool, type(None)}),
)


def _typed_batch(
    ids: list[str],
    created: list[int | None],
    rows: list[list[dict[str, Any]]],
    org_id: str,
) -> pa.RecordBatch | None:
    """task_variable's rows of a decoded page built column by column, or None where a value is
    one the normalizer would refuse (its error names the record). The task ids and creation
    times are the decoded page's own, already checked (non-null ids, instants in range)."""
    owners = [n for n, found in enumerate(rows) for _ in found]
    if not owners:
        return empty_batch(TASK_VARIABLE)
    flat = [row for found in rows for row in found]
    names = [row["name"] for row in flat]
    if not set(map(type, names)) <= {str}:
        return None
    columns = [
        pa.array([org_id] * len(flat), pa.string()),
        pa.array(ids, pa.string()).take(pa.array(owners)),
        _instants([created[n] for n in owners]),
        pa.array(names, pa.string()),
        pa.array([row["type"] for row in flat], pa.string()),
    ]
    for key, arrow_type, allowed in _TYPED:
        values = [row[key] for row in flat]
        if not set(map(type, values)) <= allowed:
            return None
        try:
            columns.append(pa.array(values, arrow_type))
        except (OverflowError, pa.ArrowInvalid):  # an integer beyond 64 bits
            return None
    return pa.RecordBatch.from_arrays(columns, schema=TASK_VARIABLE.arrow)


def _instants(values: list[int | None]) -> pa.Array:
    # -1 is the API's "not yet" (null), as the normalizer reads it; the range was checked when
    # the page was decoded.
    array = pa.array(values, pa.int64())
    if -1 in values:
        array = pc.if_else(pc.equal(array, -1), pa.scalar(None, pa.int64()), array)
    return array.cast(UTC_MS)
