"""Search pages decoded from their bytes straight into Arrow, when a page proves it reads the same.

The dict path (``orjson.loads`` of the page, then :mod:`warehouse.normalize`) builds a Python
object for every value and spends most of the load's CPU doing so (bench/README.md, issue 21).
Here a page's bytes go to Rust's arrow-json decoder (``arro3.io.read_json``) with an explicit
schema, and the table's columns are cut from the decoded structs in C++, so no Python object is
made per value.

arrow-json is more lenient than the dict path: it takes ``1.5``, ``1e3`` and ``"1"`` for an
integer, leading zeros, trailing commas and raw control characters, none of which orjson and the
normalizer accept. So a page is used only with a proof, from byte counts, that it is the *compact
canonical* JSON of the values decoded: no backslash (so every string's bytes are its decoded
bytes and every ``"`` is a delimiter), no byte below 0x20, and then

- the page's length equals the length of the canonical serialization of the decoded values (every
  selected member present once, integers without sign, zero or exponent padding), and
- for every byte value but the digits and ``-``, the page holds exactly as many as the canonical
  serialization: keys, string contents, literals, punctuation.

A number written as ``1.5``, ``1e3`` or ``"1"``, a trailing comma, whitespace, a member missing,
repeated or unknown, a leading zero: each changes the length or one of the counts. The counts
are eight numpy compares over the page and over its decoded strings; the lengths are computed
per type over every column of a list level at once (:class:`_Measure`), not column by column.
A page that fails any of this, or the decoder, or a check the dict path would fail on (a null key,
an instant out of range, an activity list that needs further pages), is decoded by the dict path
instead, which gives today's values or today's error message.

With the proof, a record's bytes in the page are exactly ``orjson.dumps`` of its dict, so the
client's repeat digest (:func:`record_digest` of those bytes) is the same on both paths.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from arro3.core import Schema as _Arro3Schema
from arro3.io import read_json as _read_json
from isal.isal_zlib import adler32 as _adler32
from isal.isal_zlib import crc32 as _crc32

from warehouse.normalize import _INT_RANGE, records_to_batch
from warehouse.schemas import UTC_MS, Table

_POW10 = np.array([10**k for k in range(1, 20)], dtype=np.uint64)
# The bytes counted: with the length, they leave no way for a number to be written other than as
# its canonical digits, nor for a member to be added or lost alone (see the module docstring).
_COUNTED = tuple(b'":,.eE \\')
_BACKSLASH = _COUNTED.index(ord("\\"))
_QUOTE = _COUNTED.index(ord('"'))
# How orjson escapes a string (what the dict path's digest hashes): '"' and '\\' and the five
# short control escapes take one byte more; the weight is the backslashes they show in the page.
# Other control characters (\u00XX) are left to the dict path (-1).
_ESCAPE_WEIGHT = np.zeros(256, dtype=np.int64)
_ESCAPE_WEIGHT[:0x20] = -1
_ESCAPE_WEIGHT[list(b'"\b\f\n\r\t')] = 1
_ESCAPE_WEIGHT[ord("\\")] = 2


def record_digest(data: bytes | memoryview) -> int:
    """A record's digest from its bytes (``orjson.dumps`` of its dict, or its span in a proven
    page): CRC-32 and Adler-32, 63 bits, a non-negative int64. ISA-L computes both at several
    GB/s, where ``hash`` of the bytes (SipHash) cost 2.5 s of a 60,000-task load (issue 21)."""
    return _crc32(data) | (_adler32(data) & 0x7FFFFFFF) << 32


def _struct_of(paths: Sequence[tuple[str, pa.DataType]]) -> pa.StructType:
    """A struct type holding each dotted path (nested objects become nested structs), in order."""
    fields: dict[str, Any] = {}
    for path, arrow_type in paths:
        head, _, rest = path.partition(".")
        if rest:
            fields.setdefault(head, []).append((rest, arrow_type))
        else:
            fields[head] = arrow_type
    return pa.struct(
        [
            pa.field(name, _struct_of(value) if isinstance(value, list) else value)
            for name, value in fields.items()
        ]
    )


def _decoded_type(arrow_type: pa.DataType) -> pa.DataType:
    # Instants are decoded as the API's epoch-ms integers: -1 (not yet) and the range are checked
    # before the cast, as the normalizer does.
    return pa.int64() if arrow_type == UTC_MS else arrow_type


_PAGE_INFO = pa.struct([("hasNextPage", pa.bool_()), ("endCursor", pa.string())])


@dataclass(frozen=True)
class PageDecoder:
    """How to decode one Search query's pages into a table's rows.

    ``table`` is either a top-level table of the query's records (no JSON-typed column) or a child
    table of one list level ``<inner>.nodes`` whose parent columns are fields of the record; the
    record's activities connection (``totalCount``, ``nodes``, ``pageInfo``) is then decoded too.
    """

    root: str
    list_field: str
    key_field: str
    time_field: str
    table: Table
    inner: str | None = None
    record_type: pa.StructType = field(init=False, repr=False)
    schema: Any = field(init=False, repr=False)
    # JSON-typed members of the record (skipped by arrow-json, read by orjson), each with the
    # member that follows it in the query; every member of the record in the query's order.
    json_members: tuple[tuple[str, str], ...] = field(init=False, repr=False)
    member_order: tuple[tuple[str, bool], ...] = field(init=False, repr=False)
    # The decoded page's type, and what the proof needs of it (see _Measure).
    page_type: pa.StructType = field(init=False, repr=False)
    plan: _Node = field(init=False, repr=False)

    def __post_init__(self) -> None:
        table = self.table
        order: list[tuple[str, bool]] = []
        for c in table.columns:
            top = c.api_path.split(".")[0]
            if c.kind == "json" and (c.from_parent or "." in c.api_path or table.parent):
                raise ValueError(f"{table.qualified_name}: only a record's own JSON members")
            if not c.from_parent and top not in (name for name, _ in order):
                order.append((top, c.kind == "json"))
        json_members = tuple(
            (name, order[i + 1][0])
            for i, (name, is_json) in enumerate(order)
            if is_json and i + 1 < len(order)
        )
        if sum(is_json for _, is_json in order) != len(json_members):
            raise ValueError(f"{table.qualified_name}: a JSON member is the record's last")
        object.__setattr__(self, "json_members", json_members)
        object.__setattr__(self, "member_order", tuple(order))
        if table.parent is None:
            if self.inner is not None:
                raise ValueError("inner is for a child table of activities")
            record = _struct_of(
                [
                    (c.api_path, _decoded_type(c.arrow_type))
                    for c in table.columns
                    if c.kind != "json"
                ]
            )
        else:
            lists = table.parent.lists
            if self.inner is None or lists[-1] != f"{self.inner}.nodes" or len(lists) > 2:
                raise ValueError(f"{table.qualified_name}: only <inner>.nodes children decode")
            if len(lists) == 2 and "." in lists[0]:
                raise ValueError(f"{table.qualified_name}: an outer list must be a member")
            own = [(c.api_path, _decoded_type(c.arrow_type)) for c in table.columns]
            parents = [c for c in table.columns if c.from_parent]
            node = _struct_of(
                [p for c, p in zip(table.columns, own, strict=True) if not c.from_parent]
            )
            connection = pa.struct(
                [
                    ("totalCount", pa.int64()),
                    ("nodes", pa.list_(node)),
                    ("pageInfo", _PAGE_INFO),
                ]
            )
            levels: list[list[tuple[str, pa.DataType]]] = [[] for _ in lists]
            for c in parents:
                level, rest = table.parent.level_of(c.api_path)
                levels[level].append((rest, _decoded_type(c.arrow_type)))
            holder = _struct_of(levels[-1])
            holder = pa.struct([*holder, pa.field(self.inner, connection)])
            if len(lists) == 2:  # agentSession: channelInfo[] holds the activities
                record = _struct_of(levels[0])
                record = pa.struct([*record, pa.field(lists[0], pa.list_(holder))])
            else:
                record = holder
        names = {f.name for f in record}
        if self.key_field not in names or self.time_field not in names:
            raise ValueError("the record's key and time fields must be decoded")
        if _occurs(record, self.list_field):
            raise ValueError(
                f"a record field is named {self.list_field!r}: spans would be ambiguous"
            )
        page = pa.struct(
            [
                (
                    "data",
                    pa.struct(
                        [
                            (
                                self.root,
                                pa.struct(
                                    [
                                        (self.list_field, pa.list_(record)),
                                        ("pageInfo", _PAGE_INFO),
                                    ]
                                ),
                            )
                        ]
                    ),
                )
            ]
        )
        object.__setattr__(self, "record_type", record)
        object.__setattr__(self, "page_type", page)
        object.__setattr__(self, "plan", _node(page))
        object.__setattr__(self, "schema", _Arro3Schema.from_arrow(pa.schema(list(page))))

    def decode(self, content: bytes) -> DecodedPage | None:
        """The page decoded into Arrow, or None: the dict path must read it (see the module)."""
        raw = np.frombuffer(content, dtype=np.uint8)
        if len(raw) == 0 or raw.min() < 0x20:
            return None
        try:
            decoded = pa.table(_read_json(io.BytesIO(content), self.schema).read_all())
        except Exception:  # noqa: BLE001 - any refusal: the dict path names what is wrong
            return None
        if decoded.num_rows != 1:
            return None
        data = decoded.column(0)
        # one chunk, as the page is one JSON value (combine_chunks would copy it)
        data = data.chunk(0) if data.num_chunks == 1 else data.combine_chunks()
        top = pa.StructArray.from_arrays([data], names=[decoded.column_names[0]])
        if top.type != self.page_type:
            return None
        measure = _Measure(self.plan, escapes=b"\\" in content)
        total = measure.lengths(top)
        if total is None:
            return None
        data = top.field(0)
        result = data.field(0)
        if data.null_count or result.null_count:
            return None
        records_list = result.field(self.list_field)
        page_info = result.field("pageInfo")
        if records_list.null_count or page_info.null_count:
            return None
        records = records_list.flatten()
        lengths = measure.record_lengths
        if records.null_count or lengths is None or len(lengths) != len(records):
            return None
        start = content.find(b'"' + self.list_field.encode() + b'":[')
        if start < 0:
            return None
        start += len(self.list_field) + 4
        texts: dict[str, pa.Array] = {}
        parsed: dict[str, list[Any]] = {}
        if self.json_members:
            found = self._json_members(content, start, measure, texts, parsed)
            if found is None:
                return None
            lengths = lengths + found
        if int(total[0]) + int(lengths.sum() - measure.record_lengths.sum()) != len(content):
            return None
        if not np.array_equal(_page_counts(content), measure.hist):
            return None
        ends = start + np.cumsum(lengths + 1) - 1
        starts = ends - lengths
        if len(records) and content[int(ends[-1]) : int(ends[-1]) + 1] != b"]":
            return None
        info = page_info.to_pylist()[0]
        page = DecodedPage(
            self,
            content,
            records,
            starts,
            ends,
            info,
            texts=texts,
            json_values=parsed,
            leaves=measure.leaves,
        )
        if not page.prepare():
            return None
        return page

    def _json_members(
        self,
        content: bytes,
        start: int,
        measure: _Measure,
        texts: dict[str, pa.Array],
        parsed: dict[str, list[Any]],
    ) -> np.ndarray | None:
        """Find each record's JSON-typed members in the page (arrow-json skipped them), from the
        decoded members' lengths; read each value with orjson (into ``parsed``, and as
        sorted-key text into ``texts``). Their bytes go into ``measure``'s counts; returns what
        they add to each record's length (None: the dict path)."""
        if measure.record_lengths is None:
            return None
        n = len(measure.record_lengths)
        if n == 0:  # no records: the members' columns are empty
            for name, _ in self.json_members:
                texts[name], parsed[name] = pa.array([], pa.string()), []
            return np.zeros(0, dtype=np.int64)
        rows = measure.record_rows
        if rows is None:
            return None
        # Offset of each JSON member in its record, but for the JSON values before it: the
        # record's "{", each member's '"name":' and comma, and the decoded members' values
        # (the record's rows up to the next decoded member's first).
        offsets: list[list[int]] = []
        fixed = 1
        for i, (name, is_json) in enumerate(self.member_order):
            if is_json:
                after = next((m for m, j in self.member_order[i + 1 :] if not j), None)
                end = len(rows) if after is None else measure.member_rows[after]
                offsets.append((rows[1:end].sum(axis=0) + fixed).tolist())
            fixed += len(name) + 4
        markers = [b'"' + name.encode() + b'":' for name, _ in self.json_members]
        ends = [b',"' + after.encode() + b'":' for _, after in self.json_members]
        sizes = [len(marker) for marker in markers]
        spans: list[tuple[list[int], list[int]]] = [([], []) for _ in markers]
        nulls: list[list[int]] = [[] for _ in markers]
        added = np.zeros(n, dtype=np.int64)
        each = sum(len(m) + 1 for m in markers)
        decoded_lengths = measure.record_lengths.tolist()
        pos = start
        for i in range(n):
            shift = 0
            for j, marker in enumerate(markers):
                p = pos + offsets[j][i] + shift
                if not content.startswith(marker, p):
                    return None
                v0 = p + sizes[j]
                if content.startswith(b"null,", v0):
                    nulls[j].append(i)
                    shift += 4
                    continue
                v1 = content.find(ends[j], v0)
                if v1 < 0:
                    return None
                spans[j][0].append(v0)
                spans[j][1].append(v1)
                shift += v1 - v0
            added[i] = each + shift
            pos += decoded_lengths[i] + each + shift + 1
        joined: list[bytes] = []
        for (name, _), marker, (firsts, lasts), empty in zip(
            self.json_members, markers, spans, nulls, strict=True
        ):
            found = _json_column(content, firsts, lasts, empty, n)
            if found is None:
                return None
            texts[name], parsed[name], text = found
            joined.append(text)
            # the marker and the comma after each value, less the commas that joined them
            measure.hist += _c(marker + b",") * n - _C_COMMA * max(len(firsts) - 1, 0)
        measure.hist += _counts_of(joined)
        return added


def _json_column(
    content: bytes, firsts: list[int], lasts: list[int], nulls: list[int], n: int
) -> tuple[pa.Array, list[Any], bytes] | None:
    """One JSON-typed member of every record, from its values' spans in the page (the others
    null): as sorted-key text, as orjson reads it, and the values' bytes joined by commas;
    None where a value is not one compact JSON value but null (the dict path says why)."""
    slices = [content[a:b] for a, b in zip(firsts, lasts, strict=True)]
    try:
        # One by one: each slice must be exactly one value.
        values = [orjson.loads(s) for s in slices]
    except orjson.JSONDecodeError:
        return None
    joined = b"[" + b",".join(slices) + b"]"
    # Canonical (what orjson.dumps writes), so the record's bytes are its digest's: each slice
    # is one value, so the list is written as the slices joined only if each value is.
    if None in values or orjson.dumps(values) != joined:
        return None
    # Sorting the keys keeps each value's length, so the sorted list has the same spans.
    ordered = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
    sizes = np.array([len(s) + 1 for s in slices], dtype=np.int32)
    bounds = np.concatenate([[1], 1 + np.cumsum(sizes)]).astype(np.int32)
    with_separator = pa.StringArray.from_buffers(
        len(slices), pa.py_buffer(bounds), pa.py_buffer(ordered)
    )
    column = pc.utf8_slice_codeunits(with_separator, 0, -1)
    if nulls:
        at = np.full(n, -1, dtype=np.int64)
        present = np.ones(n, dtype=bool)
        present[nulls] = False
        at[present] = np.arange(len(slices))
        column = column.take(pa.array(at, mask=~present))
        objects: list[Any] = [None] * n
        for i, value in zip(np.flatnonzero(present).tolist(), values, strict=True):
            objects[i] = value
    else:
        objects = values
    return column, objects, joined[1:-1]


def _occurs(struct: pa.StructType, name: str) -> bool:
    for f in struct:
        if f.name == name:
            return True
        inner = f.type.value_type if pa.types.is_list(f.type) else f.type
        if pa.types.is_struct(inner) and _occurs(inner, name):
            return True
    return False


# Bytes are counted a chunk at a time through buffers kept per thread: a page-sized bool array
# per compare was fresh memory every page (6 % of a load's page faults, issue 21), and a chunk
# stays in the CPU's cache for the eight compares where the page was read from memory eight times.
_CHUNK = 1 << 18
_scratch = threading.local()


def _buffers() -> tuple[np.ndarray, np.ndarray]:
    """This thread's chunk of bytes (to gather small pieces in) and chunk of compare flags."""
    found: tuple[np.ndarray, np.ndarray] | None = getattr(_scratch, "buffers", None)
    if found is None:
        found = (np.empty(_CHUNK, dtype=np.uint8), np.empty(_CHUNK, dtype=bool))
        _scratch.buffers = found
    return found


def _tally(
    part: np.ndarray, flags: np.ndarray, totals: list[int], counted: Sequence[tuple[int, int]]
) -> None:
    # One vector compare per byte value: ten times faster than bytes.count, and than a bincount
    # of all 256 values (which widens every byte to 8).
    into = flags[: len(part)]
    for i, c in counted:
        np.equal(part, c, out=into)
        totals[i] += int(np.count_nonzero(into))


_EACH = tuple(enumerate(_COUNTED))
_SINGLES = tuple(bytes([c]) for c in _COUNTED)


def _page_counts(content: bytes) -> np.ndarray:
    """:func:`_counts` of a page: a byte value it does not hold (found by ``in``, memchr's
    search, which stops at the first) is not compared for. Most pages hold no backslash, and
    the activity pages no ``.``: a quarter of their compares."""
    held = [(i, c) for (i, c), single in zip(_EACH, _SINGLES, strict=True) if single in content]
    return _counts_of([content], held)


def _counts(raw: np.ndarray) -> np.ndarray:
    """How many of each of ``_COUNTED`` the bytes hold, in its order."""
    return _counts_of([raw])


def _counts_of(pieces: Sequence[Any], counted: Sequence[tuple[int, int]] = _EACH) -> np.ndarray:
    """:func:`_counts` of the pieces (buffers of bytes) joined, without joining them: small
    pieces are gathered into a chunk, large ones counted where they are, a chunk at a time.
    Only the ``counted`` (index in ``_COUNTED``, byte value) are compared for; the others
    are 0."""
    chunk, flags = _buffers()
    totals = [0] * len(_COUNTED)
    fill = 0
    for piece in pieces:
        data = np.frombuffer(piece, dtype=np.uint8)
        n = len(data)
        if n >= _CHUNK:
            for at in range(0, n, _CHUNK):
                _tally(data[at : at + _CHUNK], flags, totals, counted)
            continue
        if fill + n > _CHUNK:
            _tally(chunk[:fill], flags, totals, counted)
            fill = 0
        chunk[fill : fill + n] = data
        fill += n
    if fill:
        _tally(chunk[:fill], flags, totals, counted)
    return np.array(totals, dtype=np.int64)


_STRUCT, _LIST, _STRING, _BOOL, _INT, _OTHER = range(6)


@dataclass(frozen=True)
class _Node:
    """What the proof needs of one type of the page, computed once per decoder."""

    kind: int
    dtype: str = ""  # an integer's numpy type
    keys: int = 0  # an object's length but its values: braces, keys, colons, commas
    counted: np.ndarray | None = None  # and its counted bytes
    names: tuple[str, ...] = ()  # an object's members
    children: tuple[_Node, ...] = ()  # an object's members' types, a list's element type
    path: str = ""  # dotted, from its list level's element (as _leaves names it)


def _node(t: pa.DataType, path: str = "") -> _Node:
    if pa.types.is_struct(t):
        names = tuple(f.name for f in t)
        keys, counted = _members(names)
        inner = tuple(_node(f.type, f"{path}.{f.name}" if path else f.name) for f in t)
        return _Node(_STRUCT, "", keys, counted, names, inner, path)
    if pa.types.is_list(t):
        return _Node(_LIST, children=(_node(t.value_type),), path=path)
    if pa.types.is_string(t):
        return _Node(_STRING, path=path)
    if pa.types.is_boolean(t):
        return _Node(_BOOL, path=path)
    if pa.types.is_integer(t):
        return _Node(_INT, f"<i{t.bit_width // 8}", path=path)
    return _Node(_OTHER)  # a type the proof does not cover: its pages go to the dict path


class _Measure:
    """The canonical compact JSON length of each element, and the counted bytes of the whole.

    Computed per type, not per column: the members of one list level (a record and its nested
    objects, which all have the record's length) are gathered by type, and the integers' digit
    counts, the strings' lengths and escapes, and the booleans' literals are one numpy pass each
    over a (members x elements) matrix; a list's elements are the next level. A wide page (187
    columns) so costs a few numpy calls per type instead of several per column.
    """

    def __init__(self, plan: _Node, *, escapes: bool = False) -> None:
        self.plan = plan  # the type of what is measured (the decoder's page)
        self.escapes = escapes  # the page holds a backslash: strings may be escaped
        self.hist = np.zeros(len(_COUNTED), dtype=np.int64)  # counts of _COUNTED, in order
        self.record_lengths: np.ndarray | None = None
        # The records' level: its (members x records) lengths and each member's first row.
        self.record_rows: np.ndarray | None = None
        self.member_rows: dict[str, int] = {}
        # Per list depth, the leaf columns of its elements by dotted path, as _leaves finds
        # them (None: two lists at that depth); the rows are built from them.
        self.leaves: dict[int, dict[str, pa.Array] | None] = {}

    def lengths(self, top: pa.Array) -> np.ndarray | None:
        return self._level(top, self.plan, 0)

    def _level(self, arr: pa.Array, plan: _Node, depth: int) -> np.ndarray | None:
        # depth: 0 the page (data.<root>, one element), 1 the records, 2 and more: their lists
        n = len(arr)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        level = _Level(self, n, depth)
        if not level.walk(arr, plan, None):
            return None
        self.leaves[depth] = None if depth in self.leaves else level.found
        return level.lengths()


class _Level:
    """The members of one list level gathered by type (see :class:`_Measure`). Each member is a
    row of a (rows x elements) matrix of lengths, in the order of the objects' members, so an
    object's members are the rows after its own (which holds its braces, keys and commas)."""

    def __init__(self, measure: _Measure, n: int, depth: int) -> None:
        self.measure = measure
        self.n = n
        self.depth = depth
        self.rows = 0
        self.valid: dict[int, np.ndarray] = {}  # rows whose validity is known (nulls)
        self.bitmaps: list[tuple[int, Any, int]] = []  # rows whose nulls are still to unpack
        self.ints: dict[str, tuple[list[int], list[np.ndarray]]] = {}
        self.strings: tuple[list[int], list[np.ndarray], list[Any]] = ([], [], [])
        self.bools: tuple[list[int], list[tuple[Any, int]]] = ([], [])
        self.objects: tuple[list[int], list[int], list[np.ndarray]] = ([], [], [])
        self.null_objects: list[tuple[int, int]] = []  # an object's row and the row after it
        self.lists: dict[int, np.ndarray] = {}
        self.members: list[tuple[str, int]] = []  # the record's members and their first rows
        self.found: dict[str, pa.Array] = {}  # every leaf (not an object) by its plan's path

    def walk(self, arr: pa.Array, plan: _Node, above: np.ndarray | None) -> bool:
        """Gather ``arr`` of type ``plan`` (``above``: where its enclosing objects are not
        null, if one is)."""
        row = self.rows
        self.rows += 1
        kind = plan.kind
        nulls = arr.null_count
        valid = None
        if above is not None:
            # Under an object that is null arrow-json makes the members null; anything else
            # would be counted twice, so it is refused (it does not happen).
            valid = _valid(arr) if nulls else np.ones(self.n, dtype=bool)
            if (valid & ~above).any():
                return False
        elif nulls and kind in (_STRUCT, _LIST):
            valid = _valid(arr)
        elif nulls:
            self.bitmaps.append((row, arr.buffers()[0], arr.offset))
        if valid is not None:
            self.valid[row] = valid
        if kind == _STRUCT:
            self.objects[0].append(row)
            self.objects[1].append(plan.keys)
            self.objects[2].append(plan.counted)
            below = valid if nulls else above
            record = self.depth == 1 and row == 0
            for i, child in enumerate(plan.children):
                if record:
                    self.members.append((plan.names[i], self.rows))
                if not self.walk(arr.field(i), child, below):
                    return False
            if nulls:
                self.null_objects.append((row, self.rows))
            return True
        # Under a null object the members are null already (above): as _leaves reads them.
        self.found[plan.path] = arr
        off = arr.offset
        n = self.n
        if kind == _STRING:
            buffers = arr.buffers()
            self.strings[0].append(row)
            self.strings[1].append(np.frombuffer(buffers[1], dtype=np.int32)[off : off + n + 1])
            self.strings[2].append(buffers[2])
            return True
        if kind == _INT:
            rows, values = self.ints.setdefault(plan.dtype, ([], []))
            rows.append(row)
            values.append(np.frombuffer(arr.buffers()[1], dtype=plan.dtype)[off : off + n])
            return True
        if kind == _BOOL:
            self.bools[0].append(row)
            self.bools[1].append((arr.buffers()[1], off))
            return True
        if kind == _LIST:
            return self._list(arr, plan.children[0], row, valid)
        return False

    def _list(self, arr: pa.Array, plan: _Node, row: int, valid: np.ndarray | None) -> bool:
        m = self.measure
        n = self.n
        child = m._level(arr.flatten(), plan, self.depth + 1)
        if child is None:
            return False
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[
            arr.offset : arr.offset + n + 1
        ].astype(np.int64)
        counts = np.diff(offsets)
        if valid is not None and counts[~valid].any():
            return False
        if self.depth == 0:  # data.<root>.<list>: the records, whose spans give the digest
            m.record_lengths = child
        cum = np.concatenate([[0], np.cumsum(child)])
        base = offsets - offsets[0]
        commas = np.maximum(counts - 1, 0)
        out = 2 + (cum[base[1:]] - cum[base[:-1]]) + commas
        present = n if valid is None else int(np.count_nonzero(valid))
        m.hist += _C_BRACKETS * present + _C_COMMA * int(commas.sum())
        if valid is not None:
            out[~valid] = 4
        self.lists[row] = out
        return True

    def lengths(self) -> np.ndarray | None:
        """Each element's length, once every member is gathered; the counts go to the
        measure's histogram. Nulls are applied to the rows that have some only: most have
        none, and a level can hold 44,000 activities."""
        m = self.measure
        n = self.n
        # The (members x elements) matrix is kept where rows are summed by range (the
        # record's members, an object that is null); elsewhere each type's lengths are summed
        # as they come (a level of 44,000 activities would make the matrix 7 MB a page).
        keep = bool(self.members) or any(row for row, _ in self.null_objects)
        lengths = np.empty((self.rows, n), dtype=np.int64) if keep else None
        total = np.zeros(n, dtype=np.int64)

        def put(rows: list[int] | int, block: np.ndarray) -> None:
            if lengths is not None:
                lengths[rows] = block
            else:
                total[:] += block.sum(axis=0) if block.ndim == 2 else block

        masks = dict(self.valid)  # row -> where it is not null, for the rows with nulls
        if self.bitmaps:
            bits = _bitmaps([(b, o) for _, b, o in self.bitmaps], n)
            for i, (row, _, _) in enumerate(self.bitmaps):
                masks[row] = bits[i]
        rows, keys, counted = self.objects
        if rows:
            if lengths is not None:
                lengths[rows] = np.array(keys, dtype=np.int64)[:, None]
            else:
                total += sum(keys)
            present = [int(np.count_nonzero(masks[r])) if r in masks else n for r in rows]
            m.hist += np.array(present) @ np.array(counted)
        for rows, values in self.ints.values():
            v = np.stack(values).astype(np.int64)
            magnitude = np.abs(v).view(np.uint64)
            digits = 1 + np.searchsorted(_POW10, magnitude, side="right") + (v < 0)
            put(rows, _nulled(digits, rows, masks)[0])
        if self.strings[0]:
            strings = self._strings(masks)
            if strings is None:
                return None
            put(self.strings[0], strings)
        rows, bitmaps = self.bools
        if rows:
            flags = _bitmaps(bitmaps, n)
            at, valid = _masks_of(rows, masks)
            if at:
                flags[at] &= valid
            trues = int(np.count_nonzero(flags))
            falses = len(rows) * n - (valid.size - int(np.count_nonzero(valid))) - trues
            m.hist += _C_TRUE * trues + _C_FALSE * falses
            put(rows, _nulled(np.where(flags, 4, 5), rows, masks)[0])
        for row, out in self.lists.items():
            put(row, out)
        root = masks[0] if self.null_objects and self.null_objects[0][0] == 0 else None
        if lengths is None:
            return total if root is None else np.where(root, total, 4)
        for row, end in reversed(self.null_objects):
            if row:  # the level's own elements (row 0): after the record's members are summed
                whole = lengths[row:end].sum(axis=0)
                lengths[row:end] = 0
                lengths[row] = np.where(masks[row], whole, 4)
        if self.members:
            m.record_rows = lengths
            m.member_rows = dict(self.members)
        total = lengths.sum(axis=0)
        return total if root is None else np.where(root, total, 4)

    def _strings(self, masks: dict[int, np.ndarray]) -> np.ndarray | None:
        """The strings' lengths (quotes and orjson's escapes: see _ESCAPE_WEIGHT), their
        counted bytes into the histogram; None for a null with bytes or a character orjson
        writes as \\u00XX (the dict path reads those)."""
        m = self.measure
        rows, offsets, datas = self.strings
        at = np.stack(offsets).astype(np.int64)
        sizes = np.diff(at, axis=1)
        nulled, at_nulls, valid = _nulled(sizes + 2, rows, masks)
        if at_nulls and sizes[at_nulls][~valid].any():
            return None  # a null with bytes
        m.hist += _C_QUOTES * (len(rows) * self.n - (valid.size - int(np.count_nonzero(valid))))
        firsts, lasts = at[:, 0].tolist(), at[:, -1].tolist()
        texts = []
        for data, first, last in zip(datas, firsts, lasts, strict=True):
            if last > first:
                if data is None:
                    return None
                texts.append(memoryview(data)[first:last])
        if not texts:
            return nulled
        found = _counts_of(texts)
        # The strings' bytes are joined only where a character may need escaping: a page
        # without a backslash holds none (no byte below 0x20 either: decode checked).
        if m.escapes or found[_BACKSLASH] or found[_QUOTE]:
            text = np.frombuffer(b"".join(texts), dtype=np.uint8)
            controls = m.escapes and text.min() < 0x20
        else:
            controls = False
        if controls or found[_BACKSLASH] or found[_QUOTE]:
            # Few strings hold one: only their positions are looked at.
            special = text < 0x20 if controls else np.zeros(len(text), dtype=bool)
            if found[_QUOTE]:
                special |= text == ord('"')
            if found[_BACKSLASH]:
                special |= text == ord("\\")
            special = np.flatnonzero(special)
            weights = _ESCAPE_WEIGHT[text[special]]
            if (weights < 0).any():
                return None
            m.hist[_BACKSLASH] += int(weights.sum())
            # Each escaped character takes one byte more, in the string that holds it.
            ends = np.cumsum(at[:, -1] - at[:, 0])
            starts = (at[:, :-1] - at[:, :1] + (ends - (at[:, -1] - at[:, 0]))[:, None]).ravel()
            owner = np.searchsorted(starts, special, side="right") - 1
            nulled += np.bincount(owner, minlength=starts.size).reshape(sizes.shape)
        found[_BACKSLASH] = 0  # a decoded backslash shows as two: counted by escape weight
        m.hist += found
        return nulled


def _masks_of(rows: list[int], masks: dict[int, np.ndarray]) -> tuple[list[int], np.ndarray]:
    """Which of ``rows`` have nulls (their indexes in ``rows``), and where they are not null."""
    at = [i for i, row in enumerate(rows) if row in masks]
    if not at:
        return at, np.ones((0, 0), dtype=bool)
    return at, np.stack([masks[rows[i]] for i in at])


def _nulled(
    lengths: np.ndarray, rows: list[int], masks: dict[int, np.ndarray]
) -> tuple[np.ndarray, list[int], np.ndarray]:
    """``lengths`` of ``rows`` with 4 (``null``) where a row is null; and _masks_of(rows)."""
    at, valid = _masks_of(rows, masks)
    if at:
        lengths[at] = np.where(valid, lengths[at], 4)
    return lengths, at, valid


def _bitmaps(parts: Sequence[tuple[Any, int]], n: int) -> np.ndarray:
    """Bits [offset, offset + n) of each buffer, as a (buffers x n) matrix, in one unpack."""
    width = (n + 7) // 8 + 1
    chunks = []
    shifts = []
    for buffer, offset in parts:
        chunk = memoryview(buffer)[offset >> 3 : (offset >> 3) + width]
        chunks.append(chunk if len(chunk) == width else bytes(chunk).ljust(width, b"\0"))
        shifts.append(offset & 7)
    bits = np.unpackbits(np.frombuffer(b"".join(chunks), dtype=np.uint8), bitorder="little")
    bits = bits.reshape(len(parts), width * 8).view(bool)
    if not any(shifts):
        return bits[:, :n]
    at = np.array(shifts)[:, None] + np.arange(n)
    return np.take_along_axis(bits, at, axis=1)


def _bits(buffer: Any, offset: int, n: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), bitorder="little")
    return bits[offset : offset + n].astype(bool)


def _valid(arr: pa.Array) -> np.ndarray:
    return _bits(arr.buffers()[0], arr.offset, len(arr))


def _c(text: bytes) -> np.ndarray:
    return np.array([text.count(bytes([c])) for c in _COUNTED], dtype=np.int64)


_C_NULL = _c(b"null")
_C_TRUE = _c(b"true")
_C_FALSE = _c(b"false")
_C_QUOTES = _c(b'""')
_C_COMMA = _c(b",")
_C_BRACKETS = _c(b"[]")


@cache
def _members(names: tuple[str, ...]) -> tuple[int, np.ndarray]:
    """An object's length and counted bytes but its values: braces, keys, colons, commas."""
    text = b"{" + b",".join(b'"' + name.encode() + b'":' for name in names) + b"}"
    return len(text), _c(text)


# Further activity nodes held before they are normalized (DecodedPage.add_more): few enough that
# the cyclic GC has little to rescan, enough that the normalizer's per-call cost is spread.
EARLY_NODES = 500
_STAND_IN_ORG = "-"  # org_id of the rows normalized early; the real one is set at to_batch
# Holds the place of an early-normalized node in _with_more's records: its rows then read
# without error and are replaced by the early ones.
_STAND_IN: dict[str, Any] = {"id": "-"}


@dataclass(frozen=True)
class Incomplete:
    """An activity list whose first page is decoded and whose further pages are still to come."""

    record: int  # index of its record in the page
    holder: int  # index of its list among the page's lists
    channel_id: str | None  # agentSession channels; None for a task's own activities
    channel_type: str | None
    ids: list[str]  # the first page's activity ids, in order
    total: int | None  # its totalCount
    end_cursor: str | None


def _np(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False).astype(np.int64)


@dataclass
class DecodedPage:
    """One page decoded into Arrow: its records (a struct array), their byte spans, ``pageInfo``."""

    decoder: PageDecoder
    content: bytes
    records: pa.StructArray
    starts: np.ndarray
    ends: np.ndarray
    page_info: dict[str, Any]
    keys: list[Any] = field(default_factory=list)
    times: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    counts: np.ndarray | None = None  # activity nodes of each record (child tables)
    kept: np.ndarray | None = None  # indexes of the records kept (None: all)
    texts: dict[str, pa.Array] = field(default_factory=dict)  # JSON members as sorted-key text
    # The same members as orjson read them (every record, kept or not), for derived rows.
    json_values: dict[str, list[Any]] = field(default_factory=dict)
    # Rows of child tables derived from the records (``warehouse.variables``): per child table,
    # what builds its batch for an org at landing (where the dict path normalizes it).
    derived: dict[str, Callable[[str], pa.RecordBatch]] = field(default_factory=dict)
    # Activity lists with further pages (agentSession channels), for the client to complete,
    # and the nodes those pages added, by list.
    incomplete: list[Incomplete] = field(default_factory=list)
    more: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # The leaf columns of each list depth's elements (see _Measure.leaves), for the rows.
    leaves: dict[int, dict[str, pa.Array] | None] = field(default_factory=dict)
    # Further nodes normalized as their lists completed (add_more): per group of lists, its
    # rows (org_id a stand-in), lists and node counts; the lists held until the next group.
    _early: list[tuple[pa.RecordBatch, list[int], list[int]]] = field(default_factory=list)
    _waiting: list[Incomplete] = field(default_factory=list)
    _waiting_nodes: int = 0
    _holders: np.ndarray | None = None
    _first_counts: np.ndarray | None = None
    _holder_record: np.ndarray | None = None
    _arrays: list[pa.Array] | None = None  # the table's columns but org_id, every row
    _owners: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.records) if self.kept is None else len(self.kept)

    def digests(self) -> list[int]:
        """Per record, :func:`record_digest` of its bytes: the dict path's digest of
        ``orjson.dumps(record)``."""
        view = memoryview(self.content)
        return [
            record_digest(view[s:e])
            for s, e in zip(self.starts.tolist(), self.ends.tolist(), strict=True)
        ]

    def keep(self, indexes: Sequence[int]) -> None:
        """Keep only these records (indexes into :attr:`records`, ascending)."""
        self.kept = np.asarray(indexes, dtype=np.int64)

    def indexes(self) -> np.ndarray:
        """The indexes of the records kept."""
        return np.arange(len(self.records)) if self.kept is None else self.kept

    def kept_values(self, name: str) -> list[Any]:
        """A decoded member of the kept records, as Python values (instants as epoch ms)."""
        column = self.records.field(name)
        if self.kept is not None:
            column = column.take(pa.array(self.kept))
        return column.to_pylist()

    def kept_json(self, name: str) -> list[Any]:
        """A JSON-typed member of the kept records, as orjson read it."""
        values = self.json_values[name]
        return values if self.kept is None else [values[i] for i in self.kept.tolist()]

    def in_progress(self) -> int:
        """Kept records whose task is not over: ``isActive`` true or ``endedTime`` null (as the
        dict path counts them; -1 is not null there either)."""
        active = self.records.field("isActive").fill_null(False)
        open_ = pc.or_(active, self.records.field("endedTime").is_null())
        flags = open_.to_numpy(zero_copy_only=False).astype(bool)
        return int(flags[self.indexes()].sum())

    def kept_activities(self) -> int:
        """Activity nodes of the records kept (0 for a top-level table)."""
        if self.counts is None:
            return 0
        return int(self.counts[self.indexes()].sum())

    def prepare(self) -> bool:
        """Read keys and times and build the table's rows; False where the dict path must."""
        d = self.decoder
        key = self.records.field(d.key_field)
        if key.null_count or not pa.types.is_string(key.type):
            return False
        self.keys = key.to_pylist()
        if "" in self.keys:
            return False
        time = self.records.field(d.time_field)
        self.times = time.fill_null(-(2**62)).to_numpy(zero_copy_only=False).astype(np.int64)
        table = d.table
        if table.parent is None:
            rows = self.records
            owners = np.arange(len(rows), dtype=np.int64)
            parents: dict[str, pa.Array] = {}
        else:
            assert d.inner is not None and table.parent is not None
            lists = table.parent.lists
            if len(lists) == 2:  # agentSession records: channelInfo[] holds the activities
                outer = self.records.field(lists[0])
                holders = outer.flatten()
                if holders.null_count or holders.field("channelId").null_count:
                    return False  # the dict path says which entry has no channelId
                holder_record = _np(pc.list_parent_indices(outer))
            else:
                holders = self.records
                holder_record = np.arange(len(holders), dtype=np.int64)
            connection = holders.field(d.inner)
            if connection.null_count:
                return False
            nodes = connection.field("nodes")
            info = connection.field("pageInfo")
            has_next = info.field("hasNextPage") if not info.null_count else None
            if nodes.null_count or has_next is None or has_next.null_count:
                return False
            further = has_next.to_numpy(zero_copy_only=False).astype(bool)
            counts = pc.list_value_length(nodes).to_numpy(zero_copy_only=False).astype(np.int64)
            total = connection.field("totalCount")
            off = pc.not_equal(total, pa.array(counts, pa.int64())).fill_null(False)
            if (off.to_numpy(zero_copy_only=False) & ~further).any():
                return False  # totalCount null is not compared, as in the dict path
            rows = nodes.flatten()
            if rows.null_count:
                return False
            node_holder = _np(pc.list_parent_indices(nodes))
            owners = holder_record[node_holder]
            ids = rows.field("id")
            if ids.null_count or pc.any(pc.equal(pc.binary_length(ids), 0)).as_py():
                return False
            if len(pc.unique(ids)) != len(ids):  # (count_distinct took 2.4x as long)
                return False  # an activity twice (in a record, the dict path counts it)
            # Activities of the complete lists, per record; a list with further pages is
            # counted by the client once merged.
            self.counts = np.bincount(
                holder_record, weights=counts * ~further, minlength=len(self.records)
            ).astype(np.int64)
            if further.any():
                starts = np.concatenate([[0], np.cumsum(counts)])
                id_list = ids.to_pylist()
                cursors = info.field("endCursor").to_pylist()
                totals = total.to_pylist()
                two = len(lists) == 2
                channel = holders.field("channelId").to_pylist() if two else [None] * len(holders)
                kinds = holders.field("channelType").to_pylist() if two else [None] * len(holders)
                self.incomplete = [
                    Incomplete(
                        int(holder_record[h]),
                        int(h),
                        channel[h],
                        kinds[h],
                        id_list[starts[h] : starts[h + 1]],
                        totals[h],
                        cursors[h],
                    )
                    for h in np.flatnonzero(further).tolist()
                ]
            self._holders = node_holder
            self._first_counts = counts
            self._holder_record = holder_record
            take = pa.array(owners)
            by_holder = pa.array(node_holder)
            above = self._leaves_of(self.records, 1)
            beside = self._leaves_of(holders, 2) if len(lists) == 2 else above
            parents = {}
            for c in table.columns:
                if c.from_parent:
                    level, rest = table.parent.level_of(c.api_path)
                    parents[c.name] = (
                        above[rest].take(take) if level == 0 else beside[rest].take(by_holder)
                    )
        arrays = []
        leaves = self._leaves_of(rows, 1 if table.parent is None else len(table.parent.lists) + 1)
        for col in table.columns:
            if col.kind == "json":
                arr = self.texts[col.api_path]
            else:
                arr = parents[col.name] if col.from_parent else leaves[col.api_path]
            if col.kind == "instant":
                instants = _instants(arr)
                if instants is None:
                    return False
                arr = instants
            elif arr.type != col.arrow_type:
                return False
            arrays.append(arr)
        for name in table.key:
            if arrays[[c.name for c in table.columns].index(name)].null_count:
                return False
        self._arrays = arrays
        self._owners = owners
        return True

    def _leaves_of(self, elements: pa.StructArray, depth: int) -> dict[str, pa.Array]:
        """:func:`_leaves` of a list depth's elements, as the proof found them if it did."""
        found = self.leaves.get(depth)
        return found if found is not None else _leaves(elements)

    def to_batch(self, table: Table, org_id: str) -> pa.RecordBatch:
        """The kept records' rows of ``table`` (the decoder's), exactly ``table.arrow``; or of a
        child table of it whose rows are derived from the records (:attr:`derived`: none when
        nothing derived them, as the dict path's records without the derived list)."""
        if table is not self.decoder.table:
            if table.parent is None or table.parent.parent != self.decoder.table.qualified_name:
                raise ValueError(f"this page was decoded for {self.decoder.table.qualified_name}")
            build = self.derived.get(table.qualified_name)
            return build(org_id) if build is not None else records_to_batch(table, [], org_id)
        assert self._arrays is not None and self._owners is not None
        n = len(self._owners)
        org = org_id.encode()
        offsets = np.arange(n + 1, dtype=np.int32) * len(org)
        orgs = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(org * n))
        batch = pa.RecordBatch.from_arrays([orgs, *self._arrays], schema=table.arrow)
        mask = None
        if self.kept is not None and len(self.kept) != len(self.records):
            keep = np.zeros(len(self.records), dtype=bool)
            keep[self.kept] = True
            mask = keep[self._owners]
            batch = batch.filter(pa.array(mask))
        if not self.more:
            return batch
        return self._with_more(table, org_id, batch, mask)

    def _with_more(
        self, table: Table, org_id: str, batch: pa.RecordBatch, mask: np.ndarray | None
    ) -> pa.RecordBatch:
        """The rows of the further activity pages' nodes (normalized as the dict path does,
        each record at its place in the page so errors name it alike), each list's after its
        first page's, in the page's order of lists."""
        assert table.parent is not None and self.decoder.inner is not None
        assert self._holders is not None and self._first_counts is not None
        assert self._holder_record is not None
        lists = table.parent.lists
        outer = lists[0] if len(lists) == 2 else None
        kept = self.indexes().tolist()
        place = {record: i for i, record in enumerate(kept)}
        synthetic: list[dict[str, Any]] = [{} for _ in kept]
        holder_keys: list[int] = []
        seq_keys: list[int] = []
        by_holder = {i.holder: i for i in self.incomplete}
        times = self.records.field(self.decoder.time_field).to_pylist()
        self._normalize_waiting()
        wanted: list[int] = []
        for holder in sorted(self.more):
            record = int(self._holder_record[holder])
            if record not in place:
                continue
            wanted.append(holder)
            nodes = self.more[holder]
            entry = synthetic[place[record]]
            if not entry:
                entry[self.decoder.key_field] = self.keys[record]
                entry[self.decoder.time_field] = times[record]
            if outer is None:  # a task's own activities
                entry[self.decoder.inner] = {"nodes": nodes}
            else:
                incomplete = by_holder[holder]
                entry.setdefault(outer, []).append(
                    {
                        "channelId": incomplete.channel_id,
                        "channelType": incomplete.channel_type,
                        self.decoder.inner: {"nodes": nodes},
                    }
                )
            first = int(self._first_counts[holder])
            holder_keys.extend([holder] * len(nodes))
            seq_keys.extend(range(first, first + len(nodes)))
        extra = self._early_rows(table, org_id, wanted) if self._early else None
        if extra is None:
            # Stand-ins hold the place of the lists normalized early, so a value the normalizer
            # refuses is found in the same chunk, column and row as with every list's nodes.
            extra = records_to_batch(table, synthetic, org_id)
            if self._early:
                extra = self._early_rows(table, org_id, wanted, extra)
                assert extra is not None
        holders = self._holders if mask is None else self._holders[mask]
        starts = np.concatenate([[0], np.cumsum(self._first_counts)])
        seq = np.arange(len(self._holders)) - starts[self._holders]
        if mask is not None:
            seq = seq[mask]
        order = np.lexsort(
            (np.concatenate([seq, seq_keys]), np.concatenate([holders, holder_keys]))
        )
        both = pa.Table.from_batches([batch, extra], schema=table.arrow)
        return both.take(pa.array(order)).combine_chunks().to_batches()[0]

    def add_more(self, incomplete: Incomplete, nodes: list[dict[str, Any]]) -> None:
        """Hold the nodes the further pages added to a list (after its first page's).

        Every :data:`EARLY_NODES` nodes, the lists held are normalized into rows at once and
        their node dicts freed: kept to the end of the page, an agentSession page's ~30,000
        further nodes (~120,000 dicts) were rescanned by every collection of the cyclic GC
        while the rest of the page was fetched (bench/README.md, issue 21, fifth pass). The
        rows are the normalizer's, as :meth:`_with_more` would build them; a group it refuses
        keeps its nodes for :meth:`_with_more` to refuse them as before.
        """
        self.more[incomplete.holder] = nodes
        self._waiting.append(incomplete)
        self._waiting_nodes += len(nodes)
        if self._waiting_nodes >= EARLY_NODES:
            self._normalize_waiting()

    def _normalize_waiting(self) -> None:
        waiting, self._waiting, self._waiting_nodes = self._waiting, [], 0
        if not waiting:
            return
        assert self._holder_record is not None and self.decoder.inner is not None
        table = self.decoder.table
        assert table.parent is not None
        lists = table.parent.lists
        d = self.decoder
        time = self.records.field(d.time_field)
        records: list[dict[str, Any]] = []
        for incomplete in waiting:
            record = int(self._holder_record[incomplete.holder])
            entry: dict[str, Any] = {
                d.key_field: self.keys[record],
                d.time_field: time[record].as_py(),
            }
            connection = {"nodes": self.more[incomplete.holder]}
            if len(lists) == 2:
                entry[lists[0]] = [
                    {
                        "channelId": incomplete.channel_id,
                        "channelType": incomplete.channel_type,
                        d.inner: connection,
                    }
                ]
            else:
                entry[d.inner] = connection
            records.append(entry)
        holders = [i.holder for i in waiting]
        counts = [len(self.more[h]) for h in holders]
        try:
            batch = records_to_batch(table, records, _STAND_IN_ORG)
        except Exception:  # noqa: BLE001 - _with_more normalizes these lists again and says why
            return
        if batch.num_rows != sum(counts):
            return
        self._early.append((batch, holders, counts))
        for holder, count in zip(holders, counts, strict=True):
            self.more[holder] = [_STAND_IN] * count

    def _early_rows(
        self,
        table: Table,
        org_id: str,
        wanted: list[int],
        normalized: pa.RecordBatch | None = None,
    ) -> pa.RecordBatch | None:
        """The rows of the further nodes of the ``wanted`` lists (in that order), from the
        groups normalized early and, for the other lists, ``normalized`` (the normalizer's
        rows of every wanted list in order, stand-ins for the early ones); None if a list was
        not normalized early and ``normalized`` is not given."""
        where: dict[int, tuple[int, int]] = {}  # list -> (source, its first row there)
        sources: list[pa.RecordBatch] = []
        if normalized is not None:
            sources.append(normalized)
            at = 0
            for holder in wanted:
                where[holder] = (0, at)
                at += len(self.more[holder])
        for batch, holders, counts in self._early:
            at = 0
            for holder, count in zip(holders, counts, strict=True):
                where[holder] = (len(sources), at)
                at += count
            sources.append(batch)
        if any(holder not in where for holder in wanted):
            return None
        bases = np.cumsum([0] + [b.num_rows for b in sources])
        take = [
            np.arange(count) + bases[source] + at
            for holder in wanted
            for (source, at), count in [(where[holder], len(self.more[holder]))]
        ]
        index = np.concatenate(take) if take else np.zeros(0, dtype=np.int64)
        rows = pa.Table.from_batches(sources, schema=table.arrow).take(pa.array(index))
        org = pa.array([org_id] * rows.num_rows, pa.string())
        columns = [org, *(c.combine_chunks() for c in rows.columns[1:])]
        return pa.RecordBatch.from_arrays(columns, schema=table.arrow)


def _instants(arr: pa.Array) -> pa.Array | None:
    """Epoch-ms integers as ``UTC_MS``, -1 (not yet) as null, as the normalizer reads them;
    None for an instant outside DuckDB's range (the dict path names it)."""
    n = len(arr)
    off = arr.offset
    buffers = arr.buffers()
    values = np.frombuffer(buffers[1], dtype=np.int64)[off : off + n]
    valid = values != -1
    if arr.null_count:
        valid &= _valid(arr)
    present = values[valid]
    if len(present):
        lo, hi = _INT_RANGE[UTC_MS]
        if present.min() < lo or present.max() > hi:
            return None
    nulls = n - len(present)
    mask = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    data = buffers[1].slice(off * 8, n * 8)
    return pa.Array.from_buffers(UTC_MS, n, [mask, data], null_count=nulls)


def _leaves(struct: pa.StructArray) -> dict[str, pa.Array]:
    """Every leaf column by dotted path; an object that is null makes its members null."""
    found: dict[str, pa.Array] = {}

    def walk(arr: pa.StructArray, prefix: str) -> None:
        t = arr.type
        # flatten() merges the object's nulls into its members (as the normalizer reads a null
        # object); field() is the member as is, enough where no object is null.
        children = arr.flatten() if arr.null_count else [arr.field(i) for i in range(t.num_fields)]
        for f, child in zip(t, children, strict=True):
            if pa.types.is_struct(f.type):
                walk(child, f"{prefix}{f.name}.")
            else:
                found[prefix + f.name] = child

    walk(struct, "")
    return found
