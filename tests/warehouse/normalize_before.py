"""The normalizer as it was before issue 21 (main at cec63a4), kept verbatim as the reference that
tests/warehouse/test_normalize_paths.py compares the current one with, column by column.

API records -> Arrow record batches of exactly a warehouse table's schema.

Records are GraphQL answers as orjson parses them: nested objects are dicts (``{"lastAgent":
{"id": "a1", "name": null}}``), a linked object may be absent or ``null`` (its columns are then
null), JSON-typed fields hold Python lists/dicts. Keys the table does not select are ignored; a
selected key that is missing is null.

For each table a plan is compiled once: which members to read from each object level (the record,
``lastAgent``, ``channelMetaData.email`` ...). Each level is read row by row with one ``itemgetter``
call per object and transposed into columns; every column is then type-checked and built with one
typed ``pa.array``. Large inputs are converted in chunks of ``_CHUNK_ROWS`` records.
``bench/bench_normalize.py`` measures the rate (target: 30,000 rows/s at ~190 columns).

A child table (``table.parent`` set) is normalized from its PARENT's records: a page of
``taskDetails`` records with ``activities.nodes`` gives ``search.task_activity`` rows, a page of
``agentSession`` records gives ``search.agent_session_channel`` rows (``channelInfo``) and
``search.agent_activity`` rows (``channelInfo[].activities.nodes``). The lists are first flattened
into the list of row objects (the nodes themselves, not copies) with the parent columns read once
per enclosing object, then converted column-wise as above. An object on the way that is null or
absent, a null list and a null list entry yield no rows.

Values are never coerced: pyarrow would silently truncate ``1.5`` into an int64 column, so every
column's Python types are checked first, and a wrong type, an Int32 overflow or a null key raises
:class:`NormalizeError` naming the table, column, API path and record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.schemas import UTC_MS, Column, Table

_NoneType = type(None)
_OBJECT_TYPES = frozenset({dict, _NoneType})

# Python types a JSON value may have for each Arrow type (bool is not an int here).
_ALLOWED: dict[pa.DataType, frozenset[type]] = {
    pa.string(): frozenset({str, _NoneType}),
    pa.int32(): frozenset({int, _NoneType}),
    pa.int64(): frozenset({int, _NoneType}),
    pa.float64(): frozenset({float, int, _NoneType}),
    pa.bool_(): frozenset({bool, _NoneType}),
    UTC_MS: frozenset({int, _NoneType}),
    pa.date32(): frozenset({date, _NoneType}),
}
_EXPECTED = {
    pa.string(): "a string",
    pa.int32(): "an integer",
    pa.int64(): "an integer",
    pa.float64(): "a number",
    pa.bool_(): "a boolean",
    UTC_MS: "an integer (epoch ms)",
    pa.date32(): "a date",
}
_INT_RANGE = {
    pa.int32(): (-(2**31), 2**31 - 1),
    pa.int64(): (-(2**63), 2**63 - 1),
    # DuckDB keeps TIMESTAMPTZ as int64 microseconds: an instant must still fit after * 1000.
    UTC_MS: (-(2**63) // 1000 + 1, (2**63 - 1) // 1000),
}
_JSON_OPTIONS = orjson.OPT_SORT_KEYS
_CHUNK_ROWS = 1024
_PARENT = "\x00parent:"  # prefix of a parent column's values key: never an api path


class NormalizeError(ValueError):
    """A record does not fit the table's schema; the message names column, API path and record."""


@dataclass(frozen=True)
class _Level:
    """One object level of the API shape: the record itself (path "") or a nested object."""

    path: str  # "" for the record, "channelMetaData.email" for a nested object
    keys: tuple[str, ...]  # members read from each object of this level
    getter: Callable[[dict[str, Any]], tuple[Any, ...]]
    nulls: tuple[None, ...]  # what an absent or null object yields
    columns: tuple[str, ...]  # column names read through this level, for error messages


@dataclass(frozen=True)
class _ColumnStep:
    column: Column
    name: str
    arrow_type: pa.DataType
    source: str  # key of its values: the api path, or _PARENT + name for a parent column


@dataclass(frozen=True)
class _ListStep:
    """One list level of a child table: read the parent columns there, then walk to the list."""

    keys: tuple[str, ...]  # object members from the level's object to the list
    parent_paths: tuple[tuple[str, ...], ...]  # parent columns read from this level's object
    parent_names: tuple[str, ...]


@dataclass(frozen=True)
class _Plan:
    levels: tuple[_Level, ...]  # parents before children
    columns: tuple[_ColumnStep, ...]  # in the table's column order (after org_id)
    lists: tuple[_ListStep, ...] = ()  # child tables only, outermost first
    id_key: str = "id"  # member of a record (or row) that identifies it in error messages


def _tuple_getter(keys: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(keys) == 1:
        (key,) = keys
        return lambda obj: (obj[key],)
    return itemgetter(*keys)


@cache
def _plan(table: Table) -> _Plan:
    """Compile, once per table, which members to read from which object level."""
    members: dict[str, list[str]] = {"": []}
    users: dict[str, list[str]] = {"": []}
    columns = []
    for col in table.columns:
        if col.from_parent:
            columns.append(_ColumnStep(col, col.name, col.arrow_type, _PARENT + col.name))
            continue
        parts = col.api_path.split(".")
        for depth in range(len(parts)):
            parent, key = ".".join(parts[:depth]), parts[depth]
            users.setdefault(parent, []).append(col.name)
            if key not in members.setdefault(parent, []):
                members[parent].append(key)
        columns.append(_ColumnStep(col, col.name, col.arrow_type, col.api_path))
    levels = tuple(
        _Level(
            path=path,
            keys=tuple(keys),
            getter=_tuple_getter(tuple(keys)),
            nulls=(None,) * len(keys),
            columns=tuple(users[path]),
        )
        for path, keys in sorted(
            members.items(), key=lambda item: (item[0].count("."), item[0] != "")
        )
    )
    if table.parent is None:
        key = table.column(table.key[0]).api_path
        return _Plan(levels=levels, columns=tuple(columns), id_key=key.split(".")[0])
    lists = []
    parents = [c for c in table.columns if c.from_parent]
    for depth, list_path in enumerate(table.parent.lists):
        levels_of = [(c, table.parent.level_of(c.api_path)) for c in parents]
        here = [(c, rest) for c, (level, rest) in levels_of if level == depth]
        lists.append(
            _ListStep(
                keys=tuple(list_path.split(".")),
                parent_paths=tuple(tuple(rest.split(".")) for _, rest in here),
                parent_names=tuple(c.name for c, _ in here),
            )
        )
    placed = sum(len(step.parent_names) for step in lists)
    if placed != len(parents):
        raise ValueError(f"{table.qualified_name}: a parent column reads from the row level")
    return _Plan(levels=levels, columns=tuple(columns), lists=tuple(lists))


def empty_batch(table: Table) -> pa.RecordBatch:
    """A zero-row batch of ``table.arrow``."""
    return pa.RecordBatch.from_pylist([], schema=table.arrow)


def records_to_batch(
    table: Table, records: Sequence[dict[str, Any]], org_id: str
) -> pa.RecordBatch:
    """Convert API records of one org into a record batch of exactly ``table.arrow``.

    Raises:
        NormalizeError: a record that is not an object, a value of the wrong type, an integer out
            of its column's range, a nested path through something that is not an object, or a
            null key column. The message names the table, column, API path and record.
    """
    if not isinstance(org_id, str) or not org_id:
        raise NormalizeError(f"{table.qualified_name}: org_id must be a non-empty string")
    if not records:
        return empty_batch(table)
    if not set(map(type, records)) <= {dict}:
        i = next(j for j, r in enumerate(records) if type(r) is not dict)
        raise NormalizeError(
            f"{table.qualified_name}: record {i} is {type(records[i]).__name__}, not an object"
        )
    plan = _plan(table)
    if plan.lists:
        return _child_batch(table, plan, records, org_id)
    if len(records) <= _CHUNK_ROWS:
        return _convert(table, plan, _Chunk(records, 0, plan.id_key), org_id)
    # Chunks keep the transposed tuples small: one pass over 20,000 records allocates millions of
    # tuple slots at once and the cyclic GC then rescans every live record, halving the rate.
    batches = [
        _convert(table, plan, _Chunk(records[i : i + _CHUNK_ROWS], i, plan.id_key), org_id)
        for i in range(0, len(records), _CHUNK_ROWS)
    ]
    return _combine(table, batches)


def _combine(table: Table, batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches, schema=table.arrow).combine_chunks().to_batches()[0]


def _child_batch(
    table: Table, plan: _Plan, records: Sequence[dict[str, Any]], org_id: str
) -> pa.RecordBatch:
    """Flatten parent records into child rows with their parent columns, then convert them."""
    assert table.parent is not None
    rows, owners, parent_values = _flatten(table, plan, records)
    if not rows:
        return empty_batch(table)
    names = [name for step in plan.lists for name in step.parent_names]
    batches = []
    for i in range(0, len(rows), _CHUNK_ROWS):
        j = i + _CHUNK_ROWS
        chunk = _Chunk(
            rows[i:j], i, "id", owners=owners[i:j], parents=records, path=table.parent.path
        )
        columns = zip(*parent_values[i:j], strict=True)
        preset: dict[str, Sequence[Any]] = {
            _PARENT + name: column for name, column in zip(names, columns, strict=True)
        }
        batches.append(_convert(table, plan, chunk, org_id, preset))
    return _combine(table, batches)


def _flatten(
    table: Table, plan: _Plan, records: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[int], list[tuple[Any, ...]]]:
    """Row objects of the innermost list, the index of each one's record, its parent values."""
    objects: Sequence[dict[str, Any]] = records
    owners: Sequence[int] = range(len(records))
    values: Sequence[tuple[Any, ...]] = [()] * len(records)
    walked: list[str] = []
    for step in plan.lists:
        next_objects: list[dict[str, Any]] = []
        next_owners: list[int] = []
        next_values: list[tuple[Any, ...]] = []
        paths, keys = step.parent_paths, step.keys
        for obj, owner, above in zip(objects, owners, values, strict=True):
            entries = _walk(obj, keys)
            if not entries:
                if entries is None or type(entries) is list:
                    continue
                raise _list_error(table, records, owner, walked, keys, entries)
            if type(entries) is not list:
                raise _list_error(table, records, owner, walked, keys, entries)
            if None in entries:
                entries = [e for e in entries if e is not None]
            if not set(map(type, entries)) <= _DICT:
                bad = next(e for e in entries if type(e) is not dict)
                where = ".".join([*walked, *keys])
                raise NormalizeError(
                    f"{table.qualified_name}: api path {where} must be a list of objects, got an "
                    f"entry that is {_describe(bad)} in {_record_where(records, owner)}"
                )
            mine = above + tuple([_walk(obj, path) for path in paths]) if paths else above
            n = len(entries)
            next_objects.extend(entries)
            next_owners.extend([owner] * n)
            next_values.extend([mine] * n)
        objects, owners, values = next_objects, next_owners, next_values
        walked.extend(keys)
    return list(objects), list(owners), list(values)


_DICT = frozenset({dict})
_MISSING = object()


def _walk(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The member at ``keys`` below ``obj``; None when an object on the way is null or absent.

    A member on the way that is neither an object nor null is returned as is (a scalar where an
    object belongs), for the caller to report.
    """
    value: Any = obj
    for key in keys:
        if type(value) is not dict:
            return value if value is not None else None
        value = value.get(key)
    return value


def _list_error(
    table: Table,
    records: Sequence[dict[str, Any]],
    owner: int,
    walked: list[str],
    keys: tuple[str, ...],
    got: Any,
) -> NormalizeError:
    where = ".".join([*walked, *keys])
    return NormalizeError(
        f"{table.qualified_name}: api path {where} must be a list (or null, inside objects or "
        f"null), got {_describe(got)} in {_record_where(records, owner)}"
    )


def _record_where(records: Sequence[dict[str, Any]], index: int) -> str:
    record = records[index]
    shown = ""
    for key in ("id", "agentSessionId"):
        value = record.get(key)
        if isinstance(value, str):
            shown = f" ({key} {value!r})"
            break
    return f"record {index}{shown}"


@dataclass(frozen=True)
class _Chunk:
    records: Sequence[dict[str, Any]]  # the row objects: records, or a child table's list entries
    offset: int  # index of records[0] in the caller's list (child rows: in the flattened rows)
    id_key: str = "id"
    # Child tables only: the parent record index of each row, the parent records, the list path.
    owners: Sequence[int] = ()
    parents: Sequence[dict[str, Any]] = ()
    path: str = ""

    def where(self, index: int) -> str:
        record_id = self.records[index].get(self.id_key)
        shown = f" ({self.id_key} {record_id!r})" if isinstance(record_id, str) else ""
        if not self.path:
            return f"record {self.offset + index}{shown}"
        parent = _record_where(self.parents, self.owners[index])
        return f"{parent}, {self.path} entry{shown}"


def _convert(
    table: Table,
    plan: _Plan,
    chunk: _Chunk,
    org_id: str,
    preset: dict[str, Sequence[Any]] | None = None,
) -> pa.RecordBatch:
    records = chunk.records
    # Row-major reads (one itemgetter call per object) then a transpose: walking one column at a
    # time across thousands of dicts is about twice as slow (each record's hash table, per column).
    values: dict[str, Sequence[Any]] = dict(preset) if preset else {}
    for level in plan.levels:
        objects = values[level.path] if level.path else records
        if level.path and not set(map(type, objects)) <= _OBJECT_TYPES:
            i = next(j for j, v in enumerate(objects) if type(v) not in _OBJECT_TYPES)
            raise NormalizeError(
                f"{table.qualified_name}: api path {level.path} (for columns "
                f"{_shorten(level.columns)}) must be an object or null, got "
                f"{_describe(objects[i])} in {chunk.where(i)}"
            )
        rows = _read_level(level, objects)
        prefix = f"{level.path}." if level.path else ""
        for key, column in zip(level.keys, zip(*rows, strict=False), strict=True):
            values[prefix + key] = column
    arrays = [pa.array([org_id] * len(records), pa.string())]
    for col in plan.columns:
        arrays.append(_to_array(table, col, values[col.source], chunk))
    batch = pa.RecordBatch.from_arrays(arrays, schema=table.arrow)
    for name in table.key:
        column = batch.column(name)
        if column.null_count:
            i = column.is_null().to_pylist().index(True)
            raise NormalizeError(
                f"{table.qualified_name}: key column {name} (api path "
                f"{table.column(name).api_path}) is null in {chunk.where(i)}"
            )
    return batch


def _read_level(level: _Level, objects: Sequence[Any]) -> list[tuple[Any, ...]]:
    getter, nulls = level.getter, level.nulls
    try:
        return [nulls if obj is None else getter(obj) for obj in objects]
    except KeyError:
        # Some object lacks a selected member: read every member with .get (missing -> null).
        keys = level.keys
        return [nulls if obj is None else tuple([obj.get(k) for k in keys]) for obj in objects]


def _shorten(names: tuple[str, ...]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def _to_array(table: Table, col: _ColumnStep, values: Sequence[Any], chunk: _Chunk) -> pa.Array:
    if col.column.kind == "json":
        try:
            text = [
                None if v is None else orjson.dumps(v, option=_JSON_OPTIONS).decode()
                for v in values
            ]
        except (TypeError, orjson.JSONEncodeError) as exc:
            i = next(j for j, v in enumerate(values) if not _json_ok(v))
            raise _error(table, col, chunk, i, f"is not JSON-serializable ({exc})") from None
        return pa.array(text, pa.string())
    arrow_type = col.arrow_type
    allowed = _ALLOWED[arrow_type]
    if not set(map(type, values)) <= allowed:
        i = next(j for j, v in enumerate(values) if type(v) not in allowed)
        raise _error(
            table, col, chunk, i, f"expected {_EXPECTED[arrow_type]}, got {_describe(values[i])}"
        )
    try:
        array = pa.array(values, arrow_type)
    except (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        _check_range(table, col, values, chunk)
        raise NormalizeError(
            f"{table.qualified_name}: column {col.name} (api path {col.column.api_path}): {exc}"
        ) from exc
    if arrow_type == UTC_MS and array.null_count < len(array):
        # The API writes -1 for an instant not reached yet (an open agent session's endTime):
        # it is unknown, not 1969-12-31T23:59:59.999Z.
        not_yet = pc.equal(array.cast(pa.int64()), -1)
        if pc.any(not_yet).as_py():
            array = pc.if_else(not_yet, pa.scalar(None, UTC_MS), array)
    if arrow_type == UTC_MS and array.null_count < len(array):
        # pyarrow accepts any int64 here; DuckDB's microsecond timestamps do not.
        lo, hi = _INT_RANGE[UTC_MS]
        bounds = pc.min_max(array.cast(pa.int64()))
        if bounds["min"].as_py() < lo or bounds["max"].as_py() > hi:
            _check_range(table, col, values, chunk)
    return array


def _check_range(table: Table, col: _ColumnStep, values: Sequence[Any], chunk: _Chunk) -> None:
    lo, hi = _INT_RANGE.get(col.arrow_type, (None, None))
    if lo is None or hi is None:
        return
    for i, v in enumerate(values):
        if v is not None and not lo <= v <= hi:
            raise _error(table, col, chunk, i, f"{v} is out of range for {col.arrow_type}")


def _json_ok(value: Any) -> bool:
    try:
        orjson.dumps(value, option=_JSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return True


def _error(table: Table, col: _ColumnStep, chunk: _Chunk, index: int, what: str) -> NormalizeError:
    return NormalizeError(
        f"{table.qualified_name}: column {col.name} (api path {col.column.api_path}, "
        f"{col.column.graphql_type}) in {chunk.where(index)}: {what}"
    )


def _describe(value: Any) -> str:
    """Type and a short rendering of a bad value (strings shortened: they may be personal data)."""
    if isinstance(value, str):
        return f"str of length {len(value)}"
    if isinstance(value, bool | int | float):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__
