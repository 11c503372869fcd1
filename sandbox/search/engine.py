"""The Search API engine: a request in, the service's answer (status and JSON bytes) out.

Raw-record queries are answered by projecting the data model's records onto the validated
selection (see ``render``); introspection alone goes through graphql-core's executor. Answers are
cached: a window's records as long as they cannot change (the window is over and every task in it
ended, or the tenant clock has not moved), rendered answers by request and window.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from inspect import isawaitable
from itertools import chain, islice
from typing import Any, Protocol

import orjson
from graphql import GraphQLError, execute
from graphql.language import OperationDefinitionNode

from sandbox.search.aggregate import AggregationQuery
from sandbox.search.errors import HttpError, QueryError
from sandbox.search.filters import (
    MAX_FILTER_ARGUMENTS,
    compile_ext_node,
    compile_ext_task,
    compile_record_filter,
    count_arguments,
    getter,
)
from sandbox.search.plan import Operation, RequestError, RootField, Sel, compile_operation
from sandbox.search.render import Renderer, build_renderer, page_info
from sandbox.search.schema import GLOBAL_VARIABLE_FIELDS, schema, task_details_catalog

DAY_MS = 86_400_000
MAX_SPAN_MS = 365 * DAY_MS
MAX_ACTIVITY_SPAN_MS = 30 * DAY_MS
MAX_AGE_MONTHS = 36
RAW_PAGE_SIZE = 250
RAW_RECORD_CAP = 100_000
EXT_FILTER_SCAN = 2500
FIRST_PAGE_CURSORS = frozenset({"NA", "0", ""})
_MAX_WINDOWS = 64


class TaskSource(Protocol):
    """What the engine needs from the data model (``sandbox.model.Tenant``)."""

    def tasks(
        self, start_ms: int, end_ms: int, now_ms: int, time_field: str = "createdTime"
    ) -> Iterable[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class SearchResult:
    """The answer to one request: HTTP status, body (JSON bytes) or an HTTP-level error."""

    status: int
    body: bytes = b""
    error: HttpError | None = None
    cache_key: tuple[Any, ...] | None = None  # equal keys, equal bodies (for compressed copies)


@dataclass
class _Window:
    """The records of one window at one ``now``: kept in memory, or streamed from the model.

    A window larger than the engine's record budget is not kept: each request reads it again
    from the model, holding only what the answer needs (a page, the buckets).
    """

    generation: int | None  # None: streamed, not cached
    now_ms: int
    stable: bool
    records: list[Mapping[str, Any]] | None  # ascending createdTime, then id (the model's order)
    source: Callable[[], Iterator[Mapping[str, Any]]] | None = None
    ordered: dict[tuple[Any, ...], list[Mapping[str, Any]]] = field(default_factory=dict)
    _first: Iterator[Mapping[str, Any]] | None = None
    key: tuple[str, int, int] = ("", 0, 0)  # (time field, start, effective end)

    def iterate(self) -> Iterator[Mapping[str, Any]]:
        if self.records is not None:
            return iter(self.records)
        if self._first is not None:
            first, self._first = self._first, None
            return first
        assert self.source is not None
        return self.source()

    @property
    def identity(self) -> tuple[Any, ...]:
        """What an answer computed from this window depends on."""
        if self.generation is not None:
            return ("window", self.generation)
        return ("stream", self.now_ms)


def months_before(ms: int, months: int) -> int:
    """``ms`` moved back by calendar months (day clamped to the month's length)."""
    t = datetime.fromtimestamp(ms / 1000, UTC)
    total = t.year * 12 + (t.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = t.day
    while True:
        try:
            moved = t.replace(year=year, month=month, day=day)
            break
        except ValueError:
            day -= 1
    return int(moved.timestamp() * 1000)


class SearchEngine:
    """Answers ``POST /search`` bodies against one tenant.

    Args:
        tenant: the data model (``tenant.tasks(start, end, now, time_field)``).
        now_ms: the tenant clock, called once per request.
        raw_record_cap: records reachable by paging one raw query (the service's 100,000; tests
            lower it).
        max_window_records: records kept in memory across windows (a model record takes about
            24 kB); a larger window is streamed from the model on each request.
        max_cached_bytes: rendered answers kept.
    """

    def __init__(
        self,
        tenant: TaskSource,
        now_ms: Callable[[], int],
        *,
        raw_record_cap: int = RAW_RECORD_CAP,
        max_window_records: int = 25_000,
        max_cached_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.tenant = tenant
        self.now_ms = now_ms
        self.raw_record_cap = raw_record_cap
        self.max_window_records = max_window_records
        self.max_cached_bytes = max_cached_bytes
        self._lock = threading.RLock()
        self._windows: OrderedDict[tuple[str, int, int], _Window] = OrderedDict()
        self._generation = 0
        self._large: OrderedDict[tuple[str, int, int], None] = OrderedDict()
        self._operations: OrderedDict[tuple[Any, ...], Operation] = OrderedDict()
        self._renderers: dict[tuple[Any, ...], Renderer] = {}
        self._answers: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._answer_bytes = 0
        self._fragments: OrderedDict[tuple[Any, ...], _Fragments] = OrderedDict()
        self._fragment_bytes = 0
        task_details_catalog()  # build the schema and catalogue up front

    # -- entry point ---------------------------------------------------------------------------

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> SearchResult:
        """Run one request body; never raises for anything a client can send."""
        with self._lock:
            try:
                return self._execute(query, dict(variables or {}), operation_name)
            except RequestError as exc:
                return SearchResult(400, _errors_body([_format_error(e) for e in exc.errors]))
            except HttpError as exc:
                return SearchResult(exc.status, error=exc)

    def _execute(
        self, query: str, variables: dict[str, Any], operation_name: str | None
    ) -> SearchResult:
        op_key = (query, operation_name, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS))
        op = self._operations.get(op_key)
        if op is None:
            op = compile_operation(query, variables, operation_name)
            self._operations[op_key] = op
            if len(self._operations) > 512:
                self._operations.popitem(last=False)
        else:
            self._operations.move_to_end(op_key)
        now = self.now_ms()
        prepared: list[tuple[RootField, _Call | QueryError | None]] = []
        key_parts: list[Any] = [op_key]
        for root in op.roots:
            if root.introspection:
                prepared.append((root, None))
                key_parts.append(None)
                continue
            try:
                prepared_call = self._prepare(root.sel, now)
            except QueryError as exc:
                prepared.append((root, exc))
                key_parts.append(("error", exc.message))
                continue
            prepared.append((root, prepared_call))
            key_parts.append(prepared_call.cache_key)
        cacheable = all(p is not None for p in key_parts) and not any(
            r.introspection for r in op.roots
        )
        cache_key = tuple(key_parts) if cacheable else None
        if cache_key is not None:
            hit = self._answers.get(cache_key)
            if hit is not None:
                self._answers.move_to_end(cache_key)
                return hit
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        introspection: dict[str, Any] | None = None
        for root, call in prepared:
            key = root.sel.key
            if root.introspection:
                if introspection is None:
                    introspection = self._introspect(op)
                data[key] = introspection.get(key)
                continue
            if isinstance(call, QueryError):
                data[key] = None
                errors.append(_query_error(call, root))
                continue
            assert call is not None
            try:
                data[key] = orjson.Fragment(call.run())
            except QueryError as exc:
                data[key] = None
                errors.append(_query_error(exc, root))
        body: dict[str, Any] = {}
        if errors:
            body["errors"] = errors
        body["data"] = data
        result = SearchResult(200, orjson.dumps(body), cache_key=cache_key)
        if cache_key is not None and not errors:
            self._remember(cache_key, result)
        return result

    def _remember(self, key: tuple[Any, ...], result: SearchResult) -> None:
        self._answers[key] = result
        self._answer_bytes += len(result.body)
        while self._answer_bytes > self.max_cached_bytes and self._answers:
            _k, old = self._answers.popitem(last=False)
            self._answer_bytes -= len(old.body)

    def _introspect(self, op: Operation) -> dict[str, Any]:
        only = [r.sel.node for r in op.roots if r.introspection]
        selection = op.operation.selection_set.__class__(selections=tuple(only))
        operation = OperationDefinitionNode(
            operation=op.operation.operation,
            name=op.operation.name,
            variable_definitions=op.operation.variable_definitions,
            directives=(),
            selection_set=selection,
        )
        others = [d for d in op.document.definitions if d is not op.operation]
        doc = op.document.__class__(definitions=(operation, *others))
        result = execute(schema(), doc, variable_values=op.variables)
        assert not isawaitable(result)
        if result.errors:
            raise RequestError(list(result.errors))
        return dict(result.data or {})

    # -- taskDetails ---------------------------------------------------------------------------

    def _prepare(self, sel: Sel, now: int) -> _Call:
        if sel.name != "taskDetails":  # pragma: no cover - the schema has no other root field
            raise QueryError(f"Unsupported query {sel.name!r}")
        args = _with_legacy_aggregation(sel.args)
        start, end = int(args["from"]), int(args["to"])
        time_field = args.get("timeComparator") or "createdTime"
        if end < start:
            raise QueryError("Invalid time range: 'to' must not be before 'from'")
        if end - start > MAX_SPAN_MS:
            raise QueryError(
                "Invalid time range: the span between 'from' and 'to' must not exceed 365 days"
            )
        oldest = months_before(now, MAX_AGE_MONTHS)
        if start < oldest:
            raise QueryError(
                f"Invalid time range: 'from' must not be older than {MAX_AGE_MONTHS} months"
            )
        arguments = sum(count_arguments(args.get(k)) for k in ("filter", "extFilter")) + sum(
            count_arguments(a) for a in (args.get("aggregations") or []) if a is not None
        )
        if arguments > MAX_FILTER_ARGUMENTS:
            raise QueryError(
                f"Too many filter arguments: {arguments}; at most {MAX_FILTER_ARGUMENTS} are allowed"
            )
        effective_end = min(end, now)
        tasks_sels = sel.child("tasks")
        aggregation = args.get("aggregations") is not None
        if not aggregation and end - start > MAX_ACTIVITY_SPAN_MS:
            for t in tasks_sels:
                if t.child("activities"):
                    raise QueryError(
                        "Invalid time range: fetching activity (CAR) records allows a span of "
                        "at most 30 days"
                    )
        window = self._window(time_field, start, effective_end, now)
        cursor = (args.get("pagination") or {}).get("cursor")
        if aggregation:
            return _AggregationCall(self, sel, args, window, time_field, end - start, cursor)
        return _RawCall(self, sel, args, window, cursor)

    def _window(self, time_field: str, start: int, end: int, now: int) -> _Window:
        key = (time_field, start, end)
        cached = self._windows.get(key)
        if cached is not None and (
            cached.now_ms == now or (cached.stable and now >= cached.now_ms)
        ):
            self._windows.move_to_end(key)
            return cached

        def source() -> Iterator[Mapping[str, Any]]:
            if start >= end:
                return iter(())
            return iter(self.tenant.tasks(start, end, now, time_field))

        if key in self._large:
            return _Window(None, now, False, None, source, key=key)
        stream = source()
        records = list(islice(stream, self.max_window_records + 1))
        if len(records) > self.max_window_records:
            self._large[key] = None
            if len(self._large) > 256:
                self._large.popitem(last=False)
            return _Window(None, now, False, None, source, _first=chain(records, stream), key=key)
        self._generation += 1
        stable = end <= now and not any(r.get("isActive") for r in records)
        window = _Window(self._generation, now, stable, records)
        self._windows[key] = window
        self._windows.move_to_end(key)
        total = sum(len(w.records or ()) for w in self._windows.values())
        while len(self._windows) > 1 and (
            total > self.max_window_records or len(self._windows) > _MAX_WINDOWS
        ):
            _k, old = self._windows.popitem(last=False)
            total -= len(old.records or ())
        return window

    def fragments(
        self, key: tuple[Any, ...], now: int, build: Callable[[], _Fragments]
    ) -> _Fragments:
        """Projected records of a streamed window, kept while they cannot change."""
        cached = self._fragments.get(key)
        if cached is not None and (
            cached.now_ms == now or (cached.stable and now >= cached.now_ms)
        ):
            self._fragments.move_to_end(key)
            return cached
        built = build()
        built.size = sum(len(f) for f in built.items)
        if built.size <= self.max_cached_bytes:
            if cached is not None:
                del self._fragments[key]
                self._fragment_bytes -= cached.size
            self._fragments[key] = built
            self._fragment_bytes += built.size
            while self._fragment_bytes > self.max_cached_bytes and len(self._fragments) > 1:
                _k, old = self._fragments.popitem(last=False)
                self._fragment_bytes -= old.size
        return built

    def renderer(self, tasks_sel: Sel, node_filter_spec: Any) -> Renderer:
        signature = (_signature(tasks_sel), _freeze(node_filter_spec))
        renderer = self._renderers.get(signature)
        if renderer is None:
            node_filter = compile_ext_node(node_filter_spec)
            renderer = build_renderer(tasks_sel.children, node_filter=node_filter)
            if len(self._renderers) > 256:
                self._renderers.clear()
            self._renderers[signature] = renderer
        return renderer


class _Call:
    cache_key: tuple[Any, ...]

    def run(self) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError


class _RawCall(_Call):
    """A raw-record page: 250 CSR records, ``pageInfo`` with the next page index."""

    def __init__(
        self,
        engine: SearchEngine,
        sel: Sel,
        args: Mapping[str, Any],
        window: _Window,
        cursor: str | None,
    ) -> None:
        self.engine = engine
        self.sel = sel
        self.args = args
        self.window = window
        self.page = _raw_page_index(cursor)
        self.filter_key = (_freeze(args.get("filter")), _freeze(args.get("extFilter")))
        self.sort = _task_sort(sel)
        self.cache_key = ("raw", window.identity, _signature(sel), self.filter_key, self.page)

    def _matching(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """Records passing ``filter``, newest first for the 413 check, then ``extFilter``."""
        pred = compile_record_filter(self.args.get("filter"))
        ext = compile_ext_task(self.args.get("extFilter"))
        if pred is not None:
            records = (r for r in records if pred(r))
        if ext is None:
            yield from records
            return
        # The service gives up (413) when the first page of extFilter matches cannot be filled
        # from the first 2,500 records of the span and filter, newest first.
        newest: deque[Mapping[str, Any]] = deque(maxlen=EXT_FILTER_SCAN)
        total = 0
        kept: list[Mapping[str, Any]] = []
        for r in records:
            total += 1
            newest.append(r)
            if ext(r):
                kept.append(r)
        if total > EXT_FILTER_SCAN and sum(1 for r in newest if ext(r)) < RAW_PAGE_SIZE:
            raise HttpError(
                413,
                "The first page cannot be filled from the first "
                f"{EXT_FILTER_SCAN} records matching the query span and filter; "
                "narrow the span or the filter",
            )
        yield from kept

    def _cached_order(self, records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        key = (self.filter_key, tuple((p, d) for p, _g, d in self.sort))
        ordered = self.window.ordered.get(key)
        if ordered is None:
            ordered = list(self._matching(records))
            if self.sort:
                ordered.sort(key=_sort_key(self.sort))
            else:
                ordered.reverse()  # createdTime desc, id desc
            if len(self.window.ordered) > 16:
                self.window.ordered.clear()
            self.window.ordered[key] = ordered
        return ordered

    def _streamed_page(self, tasks_sel: Sel, first: int, last: int) -> tuple[bytes, int]:
        """A page of a window too big to keep: its records are projected in one pass and the
        JSON of each (not the records) is kept, up to the record cap, in answer order."""
        window = self.window
        key = (
            window.key,
            self.filter_key,
            tuple((p, d) for p, _g, d in self.sort),
            _signature(tasks_sel),
        )

        def build() -> _Fragments:
            render = self.engine.renderer(tasks_sel, self.args.get("extFilter"))
            cap = self.engine.raw_record_cap
            sort_key = _sort_key(self.sort) if self.sort else None
            stable = window.key[2] <= window.now_ms
            keyed: list[tuple[tuple[Any, ...], bytes]] = []
            newest: deque[bytes] = deque(maxlen=cap)
            total = 0

            def watched(records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
                nonlocal stable
                for r in records:
                    if r.get("isActive"):
                        stable = False
                    yield r

            enabled = gc.isenabled()
            gc.disable()
            try:
                for r in self._matching(watched(window.iterate())):
                    total += 1
                    fragment = orjson.dumps(render(r))
                    if sort_key is None:
                        newest.append(fragment)
                    else:
                        keyed.append((sort_key(r), fragment))
            finally:
                if enabled:
                    gc.enable()
            if sort_key is None:
                items = list(newest)
                items.reverse()  # createdTime desc, id desc
            else:
                keyed.sort(key=lambda item: item[0])
                items = [f for _k, f in keyed[:cap]]
            return _Fragments(window.now_ms, stable, total, items)

        fragments = self.engine.fragments(key, window.now_ms, build)
        return b"[" + b",".join(fragments.items[first:last]) + b"]", fragments.total

    def run(self) -> bytes:
        cap = self.engine.raw_record_cap
        first = self.page * RAW_PAGE_SIZE
        streamed: dict[str, bytes] = {}
        ordered: list[Mapping[str, Any]] = []
        if self.window.records is not None:
            ordered = self._cached_order(self.window.records)
            total = len(ordered)
        else:
            tasks_sels = self.sel.child("tasks")
            if not tasks_sels:  # only pageInfo: count the matches
                total = sum(1 for _ in self._matching(self.window.iterate()))
            for t in tasks_sels:
                chunk, total = self._streamed_page(t, first, min(first + RAW_PAGE_SIZE, cap))
                streamed[t.key] = chunk
        reachable = min(total, cap)
        last = min(first + RAW_PAGE_SIZE, reachable)
        page = ordered[first:last] if first < reachable else []
        has_next = last < reachable
        end_cursor = str(self.page + 1) if has_next else None
        out: dict[str, Any] = {}
        for c in self.sel.children:
            if c.name == "tasks":
                if c.key in streamed:
                    out[c.key] = orjson.Fragment(streamed[c.key])
                else:
                    render = self.engine.renderer(c, self.args.get("extFilter"))
                    out[c.key] = _render_all(render, page)
            elif c.name == "pageInfo":
                out[c.key] = page_info(c.children, has_next, end_cursor)
            elif c.name == "intervalInfo":
                out[c.key] = None
            elif c.name == "__typename":
                out[c.key] = "TaskDetailsList"
        return orjson.dumps(out)


@dataclass
class _Fragments:
    """The JSON of each projected record of a streamed window, in answer order (to the cap)."""

    now_ms: int
    stable: bool
    total: int  # records matching, not capped
    items: list[bytes]
    size: int = 0


class _Desc:
    """Reverses the order of a value inside a sort key."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value

    __hash__ = None  # type: ignore[assignment]


def _sort_key(
    spec: list[tuple[str, Callable[[Any], Any], bool]],
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """Sort by the requested fields (missing values last either way, as Elasticsearch), then
    by the default order (createdTime, id, both descending)."""

    def key(r: Mapping[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for _path, get, desc in spec:
            v = get(r)
            parts.append((1, None) if v is None else (0, _Desc(v) if desc else v))
        parts.append(_Desc((r.get("createdTime") or 0, r.get("id") or "")))
        return tuple(parts)

    return key


class _AggregationCall(_Call):
    """An aggregation page: 1000 buckets, composite-key cursors."""

    def __init__(
        self,
        engine: SearchEngine,
        sel: Sel,
        args: Mapping[str, Any],
        window: _Window,
        time_field: str,
        span_ms: int,
        cursor: str | None,
    ) -> None:
        self.engine = engine
        self.sel = sel
        self.args = args
        self.window = window
        self.cursor = None if cursor in FIRST_PAGE_CURSORS or cursor is None else cursor
        self.queries = [
            AggregationQuery(t, args, time_field=time_field, span_ms=span_ms)
            for t in sel.child("tasks")
        ]
        self.cache_key = ("aggregation", window.identity, _signature(sel), _freeze(args))

    def run(self) -> bytes:
        pred = compile_record_filter(self.args.get("filter"))
        has_next = False
        end_cursor: str | None = None
        rows: dict[str, list[dict[str, Any]]] = {}
        for query in self.queries:
            tasks: Iterable[Mapping[str, Any]] = self.window.iterate()
            if pred is not None:
                tasks = (r for r in tasks if pred(r))
            buckets = query.buckets(tasks)
            page, has_next, end_cursor = query.page(buckets, self.cursor)
            rows[query.tasks_sel.key] = [query.render_row(k, accs) for k, accs in page]
        out: dict[str, Any] = {}
        for c in self.sel.children:
            if c.name == "tasks":
                out[c.key] = rows[c.key]
            elif c.name == "pageInfo":
                out[c.key] = page_info(c.children, has_next, end_cursor)
            elif c.name == "intervalInfo":
                out[c.key] = _interval_info(c, self.args.get("aggregationInterval"))
            elif c.name == "__typename":
                out[c.key] = "TaskDetailsList"
        return orjson.dumps(out)


def _render_all(render: Renderer, records: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    # Projection allocates many small acyclic dicts; the cyclic collector only slows it down.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [render(r) for r in records]
    finally:
        if enabled:
            gc.enable()


def _with_legacy_aggregation(args: Mapping[str, Any]) -> Mapping[str, Any]:
    """Fold the older ``aggregation: {aggr: [...]}`` argument into ``aggregations``."""
    legacy = (args.get("aggregation") or {}).get("aggr")
    if legacy is None:
        return args
    merged = dict(args)
    merged["aggregations"] = [*(args.get("aggregations") or []), *legacy]
    return merged


def _interval_info(sel: Sel, interval: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if interval is None:
        return None
    out: dict[str, Any] = {}
    for c in sel.children:
        if c.name == "interval":
            out[c.key] = interval.get("interval")
        elif c.name == "timezone":
            out[c.key] = interval.get("timezone") or "UTC"
        elif c.name == "__typename":
            out[c.key] = "IntervalInfo"
    return out


def _raw_page_index(cursor: str | None) -> int:
    if cursor is None or cursor in FIRST_PAGE_CURSORS:
        return 0
    if not cursor.isdigit():
        raise QueryError(f"Invalid cursor {cursor!r}")
    return int(cursor)


def _task_sort(sel: Sel) -> list[tuple[str, Callable[[Any], Any], bool]]:
    """``(path, getter, descending)`` for every task field selected with ``sort:``."""
    out: list[tuple[str, Callable[[Any], Any], bool]] = []
    for tasks in sel.child("tasks"):
        _collect_sort(tasks.children, "", out)
    return out


def _collect_sort(
    sels: list[Sel], prefix: str, out: list[tuple[str, Callable[[Any], Any], bool]]
) -> None:
    for s in sels:
        if s.name == "activities" and not prefix:
            continue  # sorts activities within a task, not tasks
        if not prefix and s.name in GLOBAL_VARIABLE_FIELDS:
            for c in s.children:
                order = c.args.get("sort") if c.args else None
                if order is not None:
                    out.append(
                        (
                            f"{s.name}({s.args['name']}).{c.name}",
                            _gv_getter(GLOBAL_VARIABLE_FIELDS[s.name], s.args["name"], c.name),
                            order == "desc",
                        )
                    )
            continue
        if s.children:
            _collect_sort(s.children, f"{prefix}{s.name}.", out)
            continue
        order = s.args.get("sort") if s.args else None
        if order is not None:
            out.append((prefix + s.name, getter(prefix + s.name), order == "desc"))


def _gv_getter(gv_type: str, name: str, member: str) -> Callable[[Any], Any]:
    def get(r: Mapping[str, Any]) -> Any:
        for g in r.get("_globalVariables") or ():
            if g.get("name") == name and g.get("type") == gv_type:
                return g.get(member)
        return None

    return get


def _signature(sel: Sel) -> tuple[Any, ...]:
    sig = sel.cache.get("signature")
    if sig is None:
        sig = sel.cache["signature"] = (
            sel.key,
            sel.name,
            _freeze(sel.args),
            tuple(_signature(c) for c in sel.children),
        )
    return sig


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    classification = "InvalidSyntax" if "Syntax Error" in error.message else "ValidationError"
    out["extensions"] = {"classification": classification}
    return out


def _query_error(error: QueryError, root: RootField) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    node = root.sel.node
    if node is not None and node.loc is not None:
        loc = node.loc.source.get_location(node.loc.start)
        out["locations"] = [{"line": loc.line, "column": loc.column}]
    out["path"] = [root.sel.key]
    out["extensions"] = {"classification": error.classification}
    return out


def _errors_body(errors: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"errors": errors, "data": None})
