"""Aggregation queries: ``aggregations`` with group-bys, intervals, sub-filters and paging.

Group-by fields are the leaves selected next to ``aggregation`` (``lastQueue { id }``,
``channelType``, ``intervalStartTime``, ``activities { nodes { queueId } }``,
``channelInfo { channelType }``, the ``value`` of a global variable). Buckets come in ascending
order of their key (null first, fields in selection order), 1000 a page, and the cursor is the
last bucket's key as ``field=value::field=value``. The document aggregated is the deepest level
an aggregated or grouped field reads: a task or one of its activities (CAR); an agent session,
one of its channels or one of their activities (AAR); a task leg. With activity documents,
``extFilter`` selects activities and ``intervalStartTime`` buckets the activity's own time;
otherwise ``extFilter`` keeps records (or channels) with a matching activity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from sandbox.search.errors import QueryError
from sandbox.search.filters import (
    Predicate,
    compile_ext,
    compile_predicate,
    compile_record_filter,
    getter,
    mentions,
)
from sandbox.search.plan import Sel
from sandbox.search.roots import RootSpec
from sandbox.search.schema import GLOBAL_VARIABLE_FIELDS, FieldInfo

_NO_ALIASES: dict[str, str] = {}

AGGREGATION_PAGE_SIZE = 1000
# No cap on group-by fields: Cisco's README states 10, but a client in production groups by 26,
# so the service does not enforce it (sandbox/README.md, "Requests real clients send").
DAY_MS = 86_400_000

_INTERVAL_MS = {"FIFTEEN_MINUTES": 900_000, "THIRTY_MINUTES": 1_800_000, "HOURLY": 3_600_000}
_ALLOWED_INTERVALS = (
    (DAY_MS, {"FIFTEEN_MINUTES", "THIRTY_MINUTES", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"}),
    (7 * DAY_MS, {"THIRTY_MINUTES", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"}),
)
_LONG_SPAN_INTERVALS = {"DAILY", "WEEKLY", "MONTHLY"}
_NUMERIC_ONLY = {"min", "max", "sum", "average"}

# A document: the record and, below it, the entries of its nested lists it stands for (None
# below the query's level): (task, activity) or (session, channel, activity).
Doc = tuple[Any, ...]


@dataclass
class GroupField:
    """One group-by field: where its value comes from and how it is named in cursors."""

    cursor_name: str
    graphql_type: str
    read: Callable[[Doc], Any]


@dataclass
class Aggregation:
    name: str
    type: str
    field: str
    activity: bool
    values: Callable[[Doc], Iterable[Any]]
    task_filter: Predicate | None = None
    doc_ext: Predicate | None = None  # on the task (CSR mode) or the activity (CAR mode)


@dataclass
class _Acc:
    count: int = 0
    total: float = 0
    low: Any = None
    high: Any = None
    distinct: set[Any] = field(default_factory=set)

    def add(self, value: Any) -> None:
        self.count += 1
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.total += value
            if self.low is None or value < self.low:
                self.low = value
            if self.high is None or value > self.high:
                self.high = value
        self.distinct.add(_hashable(value))

    def result(self, kind: str) -> float | None:
        if kind == "count":
            return float(self.count)
        if kind == "cardinality":
            return float(len(self.distinct))
        if kind == "sum":
            return float(self.total)
        if kind == "average":
            return float(self.total) / self.count if self.count else None
        if kind == "min":
            return None if self.low is None else float(self.low)
        return None if self.high is None else float(self.high)


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return value


def _java_string_hash(text: str) -> int:
    h = 0
    for unit in text.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h


def hashmap_order(names: list[str]) -> list[int]:
    """Indexes of ``names`` in the iteration order of a Java ``HashMap`` keyed by them.

    The service does not return aggregation results in request order; published answers are
    consistent with a HashMap of names, which is what the sandbox imitates.
    """
    capacity = 16
    while len(names) > capacity * 0.75:
        capacity *= 2

    def bucket(i: int) -> int:
        h = _java_string_hash(names[i])
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(range(len(names)), key=bucket)


def _interval_bucketer(interval: str, timezone: str | None) -> Callable[[int], int]:
    try:
        tz = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryError(f"Invalid timezone {timezone!r} in aggregationInterval") from None
    size = _INTERVAL_MS.get(interval)
    if size is not None and tz is UTC:
        return lambda t: t - t % size
    if interval == "DAILY" and tz is UTC:
        return lambda t: t - t % DAY_MS

    def bucket(t: int) -> int:
        local = datetime.fromtimestamp(t / 1000, tz)
        if size is not None:
            minutes = size // 60_000
            floored = local.replace(
                minute=(local.minute // minutes) * minutes if minutes < 60 else 0,
                second=0,
                microsecond=0,
            )
        else:
            floored = local.replace(hour=0, minute=0, second=0, microsecond=0)
            if interval == "WEEKLY":  # weeks start on Monday (ISO, Elasticsearch)
                floored = floored - timedelta(days=floored.weekday())
            elif interval == "MONTHLY":
                floored = floored.replace(day=1)
        return int(floored.timestamp() * 1000)

    return bucket


def check_interval(interval: str, span_ms: int) -> None:
    """Refuse an interval the documentation does not allow for the query span."""
    for limit, allowed in _ALLOWED_INTERVALS:
        if span_ms <= limit:
            if interval not in allowed:
                raise QueryError(
                    f"Interval {interval} is not supported for a query span of {span_ms} ms; "
                    f"supported: {', '.join(sorted(allowed))}"
                )
            return
    if interval not in _LONG_SPAN_INTERVALS:
        raise QueryError(
            f"Interval {interval} is not supported for a query span over 7 days; "
            "supported: DAILY, MONTHLY, WEEKLY"
        )


class Pair:
    """A record seen with one entry of its visible list: ``get(key)`` reads the entry.

    An agentSession filter on ``channelInfo`` fields holds per channel: the session is viewed
    with each of its channels in turn, so the existing record filters apply unchanged.
    """

    __slots__ = ("record", "entry", "key")

    def __init__(self, record: Mapping[str, Any], entry: Mapping[str, Any] | None, key: str):
        self.record = record
        self.entry = entry
        self.key = key

    def get(self, name: str, default: Any = None) -> Any:
        if name == self.key:
            return self.entry
        return self.record.get(name, default)


class RecordFilter:
    """A ``filter`` value on a root's records.

    On a root with a visible nested list (agentSession's ``channelInfo``), conditions on the
    list's fields hold per entry: a record matches when the filter holds with one of its entries,
    and only the entries it holds with are shown (as Cisco's published answers show).
    """

    def __init__(self, spec: Mapping[str, Any] | None, root: RootSpec) -> None:
        self.pred = compile_record_filter(spec, aliases=root.aliases)
        level = root.channel_level
        self.key = level.key if level is not None else ""
        self.per_entry = (
            self.pred is not None and level is not None and mentions(spec, level.prefix)
        )

    def record(self, r: Mapping[str, Any]) -> bool:
        pred = self.pred
        if pred is None:
            return True
        if not self.per_entry:
            return pred(r)
        entries = r.get(self.key) or ()
        if not entries:
            return pred(Pair(r, None, self.key))
        key = self.key
        return any(pred(Pair(r, e, key)) for e in entries)

    def entries(self, r: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
        """The entries of the visible list the filter holds with (None: all of them)."""
        pred = self.pred
        if pred is None or not self.per_entry:
            return None
        key = self.key
        return [e for e in (r.get(key) or ()) if pred(Pair(r, e, key))]

    def pair(self, r: Mapping[str, Any], entry: Mapping[str, Any]) -> bool:
        pred = self.pred
        if pred is None:
            return True
        if self.per_entry:
            return pred(Pair(r, entry, self.key))
        return pred(r)

    def doc(self, d: Doc) -> bool:
        if self.per_entry and d[1] is not None:
            return self.pair(d[0], d[1])
        return self.record(d[0])


class AggregationQuery:
    """One aggregation query of a root (taskDetails, task, agentSession, taskLegDetails).

    The document aggregated is the record, or an entry of one of its nested lists: the deepest
    level any aggregated or grouped field reads (agentSession: session, channel or activity;
    taskDetails: task or activity). Fields of the levels above are read from the enclosing
    objects (grouping on ``teamId`` while aggregating channel fields).
    """

    def __init__(
        self,
        list_sel: Sel,
        args: Mapping[str, Any],
        *,
        root: RootSpec,
        time_field: str,
        span_ms: int,
    ) -> None:
        self.root = root
        self.catalog = root.catalog()
        self.list_sel = list_sel
        self.time_field = time_field
        interval_arg = args.get("aggregationInterval")
        self.interval: Callable[[int], int] | None = None
        if interval_arg is not None:
            check_interval(interval_arg["interval"], span_ms)
            self.interval = _interval_bucketer(
                interval_arg["interval"], interval_arg.get("timezone")
            )
        self.groups: list[GroupField] = []
        self._group_of: dict[int, int] = {}  # id(Sel) -> index in self.groups
        self._group_level = 0
        self._interval_sel: Sel | None = None
        self._collect_groups(list_sel.children, "")
        specs = [a for a in (args.get("aggregations") or []) if a is not None]
        levels = [self._info(str(a["field"])).level for a in specs]
        self.mode = max([self._group_level, *levels], default=0)
        if self._interval_sel is not None:
            self._add_interval_group()
        self.depth = len(root.levels) + 1
        self.aggregations = [self._aggregation(a) for a in specs]
        self.order = hashmap_order([a.name for a in self.aggregations])
        self.filter = RecordFilter(args.get("filter"), root)
        self.doc_ext = self._ext(args.get("extFilter"))

    # -- compile ------------------------------------------------------------------------------

    @property
    def activity(self) -> bool:
        """Whether activity (CAR/AAR) nodes are the documents."""
        return self.mode > 0 and self.mode == self.root.node_level

    def _ext(self, spec: Mapping[str, Any] | None) -> Predicate | None:
        root = self.root
        if spec is None or not root.ext_container:
            return None
        keys = tuple(level.key for level in root.levels)
        return compile_ext(spec, root.ext_container, keys, self.mode)

    def _info(self, path: str) -> FieldInfo:
        info = self.catalog.get(path)
        if info is None:
            raise QueryError(f"Unknown field {path!r}")
        return info

    def _add_group(self, sel: Sel, g: GroupField) -> None:
        self._group_of[id(sel)] = len(self.groups)
        self.groups.append(g)

    def _collect_groups(self, sels: list[Sel], prefix: str) -> None:
        for s in sels:
            if s.name in ("__typename", "aggregation"):
                continue
            if not prefix and s.name == "intervalStartTime":
                if self.interval is None:
                    raise QueryError("intervalStartTime needs the aggregationInterval argument")
                # A placeholder keeps the selection order; the reader needs the document level.
                self._interval_sel = s
                self._add_group(s, GroupField("intervalStartTime", "Long", _none))
            elif not prefix and s.name in GLOBAL_VARIABLE_FIELDS and self.root.global_variables:
                self._gv_group(s)
            elif s.children:
                if any(c.name == "nodes" for c in s.children):
                    # activities { nodes { ... } }: only the nodes' fields group
                    for nodes in s.child("nodes"):
                        self._collect_groups(nodes.children, f"{prefix}{s.name}.nodes.")
                else:
                    self._collect_groups(s.children, f"{prefix}{s.name}.")
            else:
                path = prefix + s.name
                info = self._groupable(path)
                level, sub = self.root.level_of(path)
                self._group_level = max(self._group_level, level)
                get = getter(sub, self.root.aliases if level == 0 else _NO_ALIASES)
                self._add_group(s, GroupField(path, info.graphql_type, _level_reader(level, get)))

    def _add_interval_group(self) -> None:
        assert self.interval is not None and self._interval_sel is not None
        root = self.root
        if self.activity and root.node_time_field is not None:
            read = _interval_reader(self.interval, self.mode, root.node_time_field)
        else:
            read = _interval_reader(self.interval, 0, self.time_field)
        index = self._group_of[id(self._interval_sel)]
        self.groups[index] = GroupField("intervalStartTime", "Long", read)

    def _groupable(self, path: str) -> FieldInfo:
        info = self._info(path)
        if not info.groupable:
            raise QueryError(f"Group by is not supported on field {path!r}")
        return info

    def _gv_group(self, s: Sel) -> None:
        gv_type = GLOBAL_VARIABLE_FIELDS[s.name]
        wanted = s.args["name"]
        for leaf in s.children:
            if leaf.name != "value":
                continue  # the name of a variable is not a group key (see render)
            info = self._info(f"{s.name}.value")
            self._add_group(
                leaf,
                GroupField(
                    f"{s.name}.value",
                    info.graphql_type,
                    _gv_reader(gv_type, wanted),
                ),
            )

    def _aggregation(self, spec: Mapping[str, Any]) -> Aggregation:
        path = str(spec["field"])
        kind = str(spec["type"])
        name = str(spec["name"])
        info = self._info(path)
        if not info.aggregatable:
            raise QueryError(f"Aggregation is not supported on field {path!r}")
        if kind in _NUMERIC_ONLY and not info.numeric:
            raise QueryError(
                f"Aggregation type {kind} is not supported on {info.graphql_type} field {path!r}"
            )
        level, sub = self.root.level_of(path)
        if self.activity and level < self.mode:
            raise QueryError(f"Aggregation on {path!r} is not allowed along with activity fields")
        values: Callable[[Doc], Iterable[Any]]
        head = path.split(".", 1)[0]
        if level == 0 and head in GLOBAL_VARIABLE_FIELDS and self.root.global_variables:
            gv_type = GLOBAL_VARIABLE_FIELDS[head]
            pred = compile_predicate(spec.get("predicate"))
            member = path.split(".", 1)[1]
            values = _gv_values_reader(gv_type, pred, member)
        else:
            get = getter(sub, self.root.aliases if level == 0 else _NO_ALIASES)
            values = _single_reader(_level_reader(level, get))
        sub_filter = spec.get("filter")
        return Aggregation(
            name=name,
            type=kind,
            field=path,
            activity=level > 0,
            values=values,
            task_filter=(
                RecordFilter(sub_filter, self.root).doc if sub_filter is not None else None
            ),
            doc_ext=self._ext(spec.get("extFilter")),
        )

    # -- execute ------------------------------------------------------------------------------

    def documents(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Doc]:
        """The documents aggregated: records passing ``filter`` (and ``extFilter``), or the
        entries of their nested lists at the query's level."""
        mode = self.mode
        ext = self.doc_ext
        flt = self.filter
        pad = (None,) * (self.depth - 1 - mode)
        keys = [level.key for level in self.root.levels]
        visible = [level.visible for level in self.root.levels]
        for r in records:
            if not flt.record(r):
                continue
            if mode == 0:
                if ext is None or ext(r):
                    yield (r, *pad)
                continue
            for a in r.get(keys[0]) or ():
                if visible[0] and not flt.pair(r, a):
                    continue
                if mode == 1:
                    if ext is None or ext(a):
                        yield (r, a, *pad)
                    continue
                for b in a.get(keys[1]) or ():
                    if ext is None or ext(b):
                        yield (r, a, b, *pad)

    def buckets(
        self, records: Iterable[Mapping[str, Any]]
    ) -> list[tuple[tuple[Any, ...], list[_Acc]]]:
        """Every bucket, sorted by key, with one accumulator per aggregation."""
        table: dict[tuple[Any, ...], list[_Acc]] = {}
        aggs = self.aggregations
        groups = [g.read for g in self.groups]
        mode = self.mode
        for doc in self.documents(records):
            key = tuple(read(doc) for read in groups)
            accs = table.get(key)
            if accs is None:
                accs = table[key] = [_Acc() for _ in aggs]
            for agg, acc in zip(aggs, accs, strict=True):
                if agg.task_filter is not None and not agg.task_filter(doc):
                    continue
                if agg.doc_ext is not None and not agg.doc_ext(doc[mode]):
                    continue
                for value in agg.values(doc):
                    if value is not None:
                        acc.add(value)
        if not self.groups and not table:
            table[()] = [_Acc() for _ in aggs]
        return sorted(table.items(), key=lambda item: sort_key(item[0]))

    def counts_records(self) -> bool:
        """Whether the answer is just the number of records: no filter, ``extFilter``,
        group-by or interval, and every aggregation a ``count`` of the record's key (never
        null), as the clients' window-count queries ask."""
        key = self.root.key_cursor or "id"
        return (
            self.mode == 0
            and not self.groups
            and self.filter.pred is None
            and self.doc_ext is None
            and all(
                a.type == "count" and a.field == key and a.task_filter is None and a.doc_ext is None
                for a in self.aggregations
            )
        )

    def counted(self, records: int) -> list[tuple[tuple[Any, ...], list[_Acc]]]:
        """The buckets of a :meth:`counts_records` query over ``records`` records."""
        return [((), [_Acc(count=records) for _ in self.aggregations])]

    def page(
        self, buckets: list[tuple[tuple[Any, ...], list[_Acc]]], cursor: str | None
    ) -> tuple[list[tuple[tuple[Any, ...], list[_Acc]]], bool, str | None]:
        """One page of buckets after ``cursor``, whether more follow, and the next cursor."""
        start = 0
        if cursor is not None:
            start = self._position(buckets, cursor)
        page = buckets[start : start + AGGREGATION_PAGE_SIZE]
        has_next = start + AGGREGATION_PAGE_SIZE < len(buckets)
        end_cursor = self.encode_cursor(page[-1][0]) if has_next and page else None
        return page, has_next, end_cursor

    def encode_cursor(self, key: tuple[Any, ...]) -> str:
        return "::".join(
            f"{g.cursor_name}={_encode(v)}" for g, v in zip(self.groups, key, strict=True)
        )

    def _position(self, buckets: list[tuple[tuple[Any, ...], list[_Acc]]], cursor: str) -> int:
        for i, (key, _accs) in enumerate(buckets):
            if self.encode_cursor(key) == cursor:
                return i + 1
        target = sort_key(self._decode(cursor))
        for i, (key, _accs) in enumerate(buckets):
            if sort_key(key) > target:
                return i
        return len(buckets)

    def _decode(self, cursor: str) -> tuple[Any, ...]:
        parts = cursor.split("::") if cursor else []
        if len(parts) != len(self.groups) or not self.groups:
            raise QueryError(f"Invalid cursor {cursor!r}")
        out = []
        for g, part in zip(self.groups, parts, strict=True):
            name, sep, raw = part.partition("=")
            if not sep or name != g.cursor_name:
                raise QueryError(f"Invalid cursor {cursor!r}")
            out.append(_decode(raw, g.graphql_type, cursor))
        return tuple(out)

    def render_row(self, key: tuple[Any, ...], accs: list[_Acc]) -> dict[str, Any]:
        return self._render(self.list_sel.children, key, accs, self.root.record_type, True)

    def _render(
        self,
        sels: list[Sel],
        key: tuple[Any, ...],
        accs: list[_Acc],
        type_name: str,
        top: bool = False,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in sels:
            if s.name == "__typename":
                out[s.key] = type_name
            elif top and s.name == "aggregation":
                out[s.key] = [self._result(s, i, accs) for i in self.order]
            elif top and s.name in GLOBAL_VARIABLE_FIELDS and self.root.global_variables:
                out[s.key] = self._render_gv(s, key)
            elif id(s) in self._group_of:
                out[s.key] = _unkey(key[self._group_of[id(s)]])
            elif s.children and any(c.name == "nodes" for c in s.children):
                out[s.key] = self._render_container(s, key, accs)
            elif s.children:
                row = self._render(s.children, key, accs, s.type_name)
                out[s.key] = [row] if s.is_list else row
            else:
                out[s.key] = None
        return out

    def _render_gv(self, s: Sel, key: tuple[Any, ...]) -> dict[str, Any]:
        value_sel = [c for c in s.children if c.name == "value"]
        value = key[self._group_of[id(value_sel[0])]] if value_sel else None
        out: dict[str, Any] = {}
        for c in s.children:
            if c.name == "value":
                out[c.key] = value
            elif c.name == "name":
                out[c.key] = s.args["name"] if value is not None else None
            elif c.name == "__typename":
                out[c.key] = s.type_name
        return out

    def _render_container(self, s: Sel, key: tuple[Any, ...], accs: list[_Acc]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for c in s.children:
            if c.name == "nodes":
                out[c.key] = [self._render(c.children, key, accs, c.type_name)]
            elif c.name == "__typename":
                out[c.key] = s.type_name
            else:
                out[c.key] = None
        return out

    def _result(self, s: Sel, i: int, accs: list[_Acc]) -> dict[str, Any]:
        agg = self.aggregations[i]
        out: dict[str, Any] = {}
        for c in s.children:
            if c.name == "name":
                out[c.key] = agg.name
            elif c.name == "value":
                out[c.key] = accs[i].result(agg.type)
            elif c.name == "__typename":
                out[c.key] = "AggregationResult"
        return out


class _JsonKey(str):
    """A JSON group-by value, hashed and sorted by its text, shown as the value."""

    value: Any


def _json_key(value: Any) -> Any:
    if isinstance(value, dict | list):
        key = _JsonKey(orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode())
        key.value = value
        return key
    return value


def _unkey(value: Any) -> Any:
    return value.value if isinstance(value, _JsonKey) else value


def _none(_d: Doc) -> None:
    return None


def _interval_reader(
    bucket: Callable[[int], int], level: int, time_field: str
) -> Callable[[Doc], Any]:
    def read(d: Doc) -> int | None:
        source = d[level]
        t = source.get(time_field) if source is not None else None
        return None if t is None else bucket(t)

    return read


def _level_reader(level: int, get: Callable[[Mapping[str, Any]], Any]) -> Callable[[Doc], Any]:
    if level == 0:
        return lambda d: _json_key(get(d[0]))
    return lambda d: None if d[level] is None else _json_key(get(d[level]))


def _gv_reader(gv_type: str, name: str) -> Callable[[Doc], Any]:
    return lambda d: _gv_value(d[0], gv_type, name)


def _gv_values_reader(
    gv_type: str, pred: Predicate | None, member: str
) -> Callable[[Doc], Iterable[Any]]:
    return lambda d: _gv_values(d[0], gv_type, pred, member)


def _single_reader(read: Callable[[Doc], Any]) -> Callable[[Doc], Iterable[Any]]:
    return lambda d: (_unkey(read(d)),)


def _gv_value(r: Mapping[str, Any], gv_type: str, name: str) -> Any:
    for g in r.get("_globalVariables") or ():
        if g.get("name") == name and g.get("type") == gv_type:
            return g.get("value")
    return None


def _gv_values(
    r: Mapping[str, Any], gv_type: str, pred: Predicate | None, member: str
) -> list[Any]:
    return [
        g.get(member)
        for g in (r.get("_globalVariables") or ())
        if g.get("type") == gv_type and (pred is None or pred(g))
    ]


def sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """Ascending, null first (as the published group-by answers)."""
    return tuple((0,) if v is None else (1, v) for v in key)


def _encode(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    return str(value)


def _decode(raw: str, graphql_type: str, cursor: str) -> Any:
    if raw == "null":
        return None
    try:
        if graphql_type == "Boolean":
            if raw not in ("true", "false"):
                raise ValueError(raw)
            return raw == "true"
        if graphql_type in ("Int", "Long"):
            return int(raw)
        if graphql_type == "Float":
            return float(raw)
    except ValueError:
        raise QueryError(f"Invalid cursor {cursor!r}") from None
    if graphql_type == "JSON":
        return _JsonKey(raw)
    return raw
