"""The Search API engine: a request in, the service's answer (status and JSON bytes) out.

Raw-record queries are answered by projecting the data model's records onto the validated
selection (see ``render``); introspection alone goes through graphql-core's executor. Answers are
cached: a window's records as long as they cannot change (the window is over and every task in it
ended, or the tenant clock has not moved), rendered answers by request and window.
"""

from __future__ import annotations

import gc
import re
import threading
from array import array
from bisect import bisect_right
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from inspect import isawaitable
from itertools import chain
from typing import Any, Protocol

import orjson
from graphql import GraphQLError, execute
from graphql.language import ObjectValueNode, OperationDefinitionNode, VariableNode

from sandbox.search.aggregate import AggregationQuery, RecordFilter
from sandbox.search.errors import HttpError, QueryError
from sandbox.search.filters import (
    MAX_FILTER_ARGUMENTS,
    Predicate,
    compile_ext,
    count_arguments,
    getter,
)
from sandbox.search.plan import Operation, RequestError, RootField, Sel, compile_operation
from sandbox.search.render import Renderer, build_renderer, members_as_is, page_info
from sandbox.search.roots import ROOTS, RootSpec, catalog
from sandbox.search.schema import GLOBAL_VARIABLE_FIELDS, schema

DAY_MS = 86_400_000
MAX_SPAN_MS = 365 * DAY_MS
MAX_ACTIVITY_SPAN_MS = 30 * DAY_MS
MAX_AGE_MONTHS = 36
RAW_PAGE_SIZE = 250  # taskDetails; each root's own size is in ``roots``
RAW_RECORD_CAP = 100_000
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
EXT_FILTER_SCAN = 2500
FIRST_PAGE_CURSORS = frozenset({"NA", "0", ""})
_MAX_WINDOWS = 64
# A window is kept rendered only if this many of its size fit the record budget together; a
# larger one is indexed. Clients page several windows side by side (the pipeline four), and
# two kept windows that together outgrow the budget evict each other on every page, each page
# then rendering a whole window again (the cliff of issue 15 between 8,000 and 15,000 tasks a
# day, where one UTC day's tasks passed half of 25,000).
_KEPT_WINDOWS = 8
_KEEP_PICKED = 8  # records a key filter picked, kept rendered with the answer order
# Objects a request may leave alive (net of those it freed; the collector is paused meanwhile)
# before a serving process freezes them like a window read: a page of sessions kept for their
# further activity pages is ~300,000 dicts at 60,000 tasks a day, and each young and full
# collection walked them again (a fifth of a served agentSession-activities feed).
_FREEZE_SURVIVORS = 1_000
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class TaskSource(Protocol):
    """What the engine needs from the data model (``sandbox.model.Tenant``): ``tasks`` and,
    for the other root queries, ``agent_sessions_records(start, end, now)`` and
    ``task_legs(start, end, now, time_field)``."""

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
    # A raw page with a next page, its cursor bound by a variable: the variables asking for the
    # next page (the HTTP app computes it ahead while the client reads this one).
    next_variables: dict[str, Any] | None = None
    stable: bool = False  # the window cannot change any more (an answer stays right)


class RecordIndex(Protocol):
    """A window's records as references rendered on demand (``sandbox.model.RecordRefs``)."""

    refs: list[Any]  # the model's order
    weight: int  # what the references keep alive, in records
    open: bool  # some record is still active at the window's now
    key_field: str | None  # the record field ``key_of`` reads from a reference, if any
    nodes_fields: frozenset[str]  # what ``render_nodes`` records hold besides their nodes
    lean_fields: frozenset[str]  # what ``render_lean`` records hold (if the index offers it)

    def render(self, refs: Sequence[Any], with_nodes: bool) -> list[dict[str, Any]]: ...

    def key_of(self, ref: Any) -> Any: ...


@dataclass
class _Window:
    """The records of one window at one ``now``: kept in memory, indexed, or streamed.

    A window within the engine's record budget is kept rendered (``records``). A larger one is
    *indexed* when the model offers references to its records (``index``: a few bytes a record;
    each answer renders just its page), else streamed: each request reads it again from the
    model, holding only what the answer needs (a page, the buckets).
    """

    generation: int | None  # None: streamed, not cached
    now_ms: int
    stable: bool
    records: list[Mapping[str, Any]] | None  # ascending createdTime, then id (the model's order)
    source: Callable[[], Iterator[Mapping[str, Any]]] | None = None
    ordered: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # answer orders by filter
    _first: Iterator[Mapping[str, Any]] | None = None
    key: tuple[str, str, int, int] = ("", "", 0, 0)  # (source, time field, start, effective end)
    weight: int = 0  # what the kept records count against the engine's record budget
    index: RecordIndex | None = None
    by_key: dict[Any, list[int]] | None = None  # positions in ``index.refs`` by record key

    def positions_of(self, key: Any) -> list[int]:
        """Positions of the indexed records whose key field is ``key`` (ascending), from a
        dictionary built on first use from the references alone (nothing rendered)."""
        index = self.index
        assert index is not None
        if self.by_key is None:
            by_key: dict[Any, list[int]] = {}
            key_of = index.key_of
            for pos, ref in enumerate(index.refs):
                by_key.setdefault(key_of(ref), []).append(pos)
            self.by_key = by_key
        return self.by_key.get(key, [])

    def iterate(self) -> Iterator[Mapping[str, Any]]:
        if self.records is not None:
            return iter(self.records)
        if self.index is not None:
            return _rendered(self.index, range(len(self.index.refs)), True)
        if self._first is not None:
            first, self._first = self._first, None
            return first
        assert self.source is not None
        return self.source()

    @property
    def identity(self) -> tuple[Any, ...]:
        """What an answer computed from this window depends on: the window and its ``now`` (any
        ``now`` once it is stable), so equal identities mean equal records, whichever copy of
        the window (kept, indexed, rebuilt after eviction) answered."""
        if self.generation is not None:
            return ("window", self.key, "stable" if self.stable else self.now_ms)
        return ("stream", self.now_ms)


_RENDER_CHUNK = 1000


def _rendered(
    index: RecordIndex, positions: Sequence[int], with_nodes: bool
) -> Iterator[dict[str, Any]]:
    """The records at ``positions`` of an indexed window, rendered a chunk at a time."""
    refs = index.refs
    for i in range(0, len(positions), _RENDER_CHUNK):
        yield from index.render([refs[p] for p in positions[i : i + _RENDER_CHUNK]], with_nodes)


@dataclass
class _Order:
    """An indexed window's answer order for one filter and sort: positions in ``refs``, to the
    cap, the number of matching records, and their search-after keys (key-cursor roots)."""

    positions: Sequence[int]
    total: int
    keys: list[Any] = field(default_factory=list)
    # Records already rendered with their activities, by position: those a key filter picked
    # (one or two), so the page does not render them again.
    rendered: dict[int, Mapping[str, Any]] = field(default_factory=dict)


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
        max_window_records: records kept rendered in memory across windows (a model record
            takes about 24 kB); a larger window is indexed (see ``max_index_records``).
        max_cached_bytes: rendered answers kept (and, separately, the JSON of streamed
            windows' records).
        max_index_records: records referenced by indexed windows (a window too large to keep
            rendered, whose records the model renders on demand, page by page: see
            ``sandbox.model.Tenant.record_index``; a reference keeps about 3 kB of the
            simulation alive). A larger window, or a model without ``record_index``, is
            streamed from the model on each request.
        max_page_weight: whole records (with their activities) an indexed window's page
            rendered, kept for the key filters that ask for one of them next, in the model's
            record weight (a record and a fifth of its activities: ~6 kB a unit for sessions).
            The pipeline asks each long activity list's further pages by the record's key right
            after its page, which rendered that record already; a record found here is not
            rendered again (a session with its activities: ~0.7 ms at 15,000 tasks a day).
        gc_freeze: after a request that read a window from the model, or left many objects
            alive (records kept for the key filters that follow), move every object the
            process holds to the garbage collector's permanent generation (``gc.freeze()``),
            so that the simulated days and kept records (millions of objects, freed by
            reference counting when the engine drops them) are not walked by every later
            collection. For a process
            that only serves (``wxcc-sandbox serve``); the permanent generation is never
            collected, so a process holding other cyclic garbage should leave it off.
    """

    def __init__(
        self,
        tenant: TaskSource,
        now_ms: Callable[[], int],
        *,
        raw_record_cap: int = RAW_RECORD_CAP,
        max_window_records: int = 25_000,
        max_cached_bytes: int = DEFAULT_CACHE_BYTES,
        max_index_records: int = 400_000,
        max_page_weight: int = 25_000,
        gc_freeze: bool = False,
    ) -> None:
        self.tenant = tenant
        self.now_ms = now_ms
        self.raw_record_cap = raw_record_cap
        self.max_window_records = max_window_records
        self.max_cached_bytes = max_cached_bytes
        self.max_index_records = max_index_records
        self.max_page_weight = max_page_weight
        self.gc_freeze = gc_freeze
        self._reads = 0  # windows read from the model
        self._lock = threading.RLock()
        self._windows: OrderedDict[tuple[str, str, int, int], _Window] = OrderedDict()
        self._indexes: OrderedDict[tuple[str, str, int, int], _Window] = OrderedDict()
        self._generation = 0
        self._large: OrderedDict[tuple[str, str, int, int], None] = OrderedDict()
        self._operations: OrderedDict[tuple[Any, ...], Operation] = OrderedDict()
        self._renderers: dict[tuple[Any, ...], Renderer] = {}
        self._renderer_shapes: dict[tuple[Any, ...], Renderer] = {}
        self._answers: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._answer_bytes = 0
        self._fragments: OrderedDict[tuple[Any, ...], _Fragments] = OrderedDict()
        self._fragment_bytes = 0
        # (window identity, position) -> (record rendered whole by a page, its weight)
        self._page_records: OrderedDict[tuple[Any, int], tuple[Mapping[str, Any], int]] = (
            OrderedDict()
        )
        self._page_weight = 0
        for name in ROOTS:
            catalog(name)  # build the schema and catalogues up front

    # -- entry point ---------------------------------------------------------------------------

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> SearchResult:
        """Run one request body; never raises for anything a client can send.

        The cyclic garbage collector is paused meanwhile: an answer allocates many small
        acyclic objects (freed by reference counting), and each collection it would trigger
        walks every object of the cached simulation days (milliseconds a page at 50,000 tasks
        a day)."""
        with self._lock:
            enabled = gc.isenabled()
            gc.disable()
            reads = self._reads
            young = gc.get_count()[0]
            try:
                return self._execute(query, dict(variables or {}), operation_name)
            except RequestError as exc:
                return SearchResult(400, _errors_body([_format_error(e) for e in exc.errors]))
            except HttpError as exc:
                return SearchResult(exc.status, error=exc)
            finally:
                if self.gc_freeze and (
                    self._reads != reads or gc.get_count()[0] - young > _FREEZE_SURVIVORS
                ):
                    gc.freeze()
                if enabled:
                    gc.enable()

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
        next_variables: dict[str, Any] | None = None
        stable = False
        if len(prepared) == 1 and isinstance(prepared[0][1], _RawCall) and not errors:
            raw = prepared[0][1]
            stable = raw.window.stable
            # Not ahead of a page whose records wait for their further activity pages: the
            # next pages, computed while the client asks for those, would push them out of
            # ``max_page_weight`` and each would be rendered again (every one at 60,000 tasks
            # a day: twice the sessions' rendering).
            if raw.next_cursor is not None and not raw.kept_records:
                next_variables = _next_variables(prepared[0][0].sel, variables, raw.next_cursor)
        result = SearchResult(
            200,
            orjson.dumps(body),
            cache_key=cache_key,
            next_variables=next_variables,
            stable=stable,
        )
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

    # -- root queries ------------------------------------------------------------------------

    def _prepare(self, sel: Sel, now: int) -> _Call:
        spec = ROOTS.get(sel.name)
        if spec is None:  # pragma: no cover - the schema has no other root field
            raise QueryError(f"Unsupported query {sel.name!r}")
        args = _with_legacy_aggregation(sel.args)
        start, end = int(args["from"]), int(args["to"])
        time_field = args.get("timeComparator") or spec.time_fields[0]
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
        list_sels = sel.child(spec.list_field)
        aggregation = args.get("aggregations") is not None
        if not aggregation and end - start > MAX_ACTIVITY_SPAN_MS:
            if any(_selects_activities(t) for t in list_sels):
                raise QueryError(
                    "Invalid time range: fetching activity records (CAR, AAR) allows a span of "
                    "at most 30 days"
                )
        window = self._window(spec, time_field, start, effective_end, now)
        cursor = (args.get("pagination") or {}).get("cursor")
        if aggregation:
            return _AggregationCall(self, spec, sel, args, window, time_field, end - start, cursor)
        return _RawCall(self, spec, sel, args, window, cursor)

    def _window(self, spec: RootSpec, time_field: str, start: int, end: int, now: int) -> _Window:
        key = (spec.source, time_field, start, end)
        for kept in (self._windows, self._indexes):
            cached = kept.get(key)
            if cached is not None and (
                cached.now_ms == now or (cached.stable and now >= cached.now_ms)
            ):
                kept.move_to_end(key)
                return cached
        self._reads += 1
        with_time_field = spec.source != "agent_sessions_records"
        record_index = getattr(self.tenant, "record_index", None)
        if record_index is not None:
            args = (time_field,) if with_time_field else ()
            index: RecordIndex = record_index(spec.source, start, end, now, *args)
            if index.weight > self.max_window_records // _KEPT_WINDOWS:
                self._mark_large(key)
                if index.weight <= self.max_index_records:
                    return self._keep_index(key, index, end, now)
            else:
                records = list(_rendered(index, range(len(index.refs)), True))
                return self._keep(key, records, end <= now and not index.open, now)
        read = getattr(self.tenant, spec.source)

        def source() -> Iterator[Mapping[str, Any]]:
            if start >= end:
                return iter(())
            if with_time_field:
                return iter(read(start, end, now, time_field))
            return iter(read(start, end, now))

        if key in self._large:
            return _Window(None, now, False, None, source, key=key)
        stream = source()
        budget = self.max_window_records
        records: list[Mapping[str, Any]] = []
        weight = 0
        for r in stream:
            records.append(r)
            weight += _weight(r)
            if weight > budget:
                self._mark_large(key)
                return _Window(
                    None, now, False, None, source, _first=chain(records, stream), key=key
                )
        stable = end <= now and not any(r.get("isActive") for r in records)
        return self._keep(key, records, stable, now)

    def _mark_large(self, key: tuple[str, str, int, int]) -> None:
        self._large[key] = None
        self._large.move_to_end(key)
        if len(self._large) > 256:
            self._large.popitem(last=False)

    def _keep(
        self,
        key: tuple[str, str, int, int],
        records: list[Mapping[str, Any]],
        stable: bool,
        now: int,
    ) -> _Window:
        self._generation += 1
        weight = sum(_weight(r) for r in records)
        window = _Window(self._generation, now, stable, records, key=key, weight=weight)
        self._windows[key] = window
        self._windows.move_to_end(key)
        total = sum(w.weight for w in self._windows.values())
        budget = self.max_window_records
        while len(self._windows) > 1 and (total > budget or len(self._windows) > _MAX_WINDOWS):
            _k, old = self._windows.popitem(last=False)
            total -= old.weight
        return window

    def _keep_index(
        self, key: tuple[str, str, int, int], index: RecordIndex, end: int, now: int
    ) -> _Window:
        self._generation += 1
        stable = end <= now and not index.open
        window = _Window(
            self._generation, now, stable, None, key=key, weight=index.weight, index=index
        )
        self._indexes[key] = window
        self._indexes.move_to_end(key)
        total = sum(w.weight for w in self._indexes.values())
        while len(self._indexes) > 1 and (
            total > self.max_index_records or len(self._indexes) > _MAX_WINDOWS
        ):
            _k, old = self._indexes.popitem(last=False)
            total -= old.weight
        return window

    def keep_page_records(
        self, identity: tuple[Any, ...], positions: Sequence[int], records: list[Mapping[str, Any]]
    ) -> None:
        """Keep the whole records a page of an indexed window rendered (oldest dropped past
        ``max_page_weight``), for ``page_records``."""
        kept = self._page_records
        for pos, record in zip(positions, records, strict=True):
            key = (identity, pos)
            old = kept.pop(key, None)
            if old is not None:
                self._page_weight -= old[1]
            weight = _record_weight(record)
            kept[key] = (record, weight)
            self._page_weight += weight
        while self._page_weight > self.max_page_weight and kept:
            _key, (_record, weight) = kept.popitem(last=False)
            self._page_weight -= weight

    def page_records(
        self, identity: tuple[Any, ...], index: RecordIndex, positions: Sequence[int]
    ) -> list[Mapping[str, Any]]:
        """The whole records at ``positions`` of an indexed window: those a page rendered and
        ``keep_page_records`` kept (taken out: the caller keeps them from here), the others
        rendered now."""
        found: dict[int, Mapping[str, Any]] = {}
        for pos in positions:
            hit = self._page_records.pop((identity, pos), None)
            if hit is not None:
                found[pos] = hit[0]
                self._page_weight -= hit[1]
        missing = [p for p in positions if p not in found]
        if missing:
            found.update(
                zip(missing, index.render([index.refs[p] for p in missing], True), strict=True)
            )
        return [found[p] for p in positions]

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

    def renderer(self, spec: RootSpec, list_sel: Sel, ext_spec: Any) -> Renderer:
        signature = (spec.name, _signature(list_sel), _freeze(ext_spec))
        renderer = self._renderers.get(signature)
        if renderer is None:
            # A selection differing from one seen only in its activities' arguments (a
            # further-activities request's ``after``) runs that one's renderer source again
            # with its own activities projectors (``render._rebind``), not a new build.
            shape = (spec.name, _shape_signature(list_sel), signature[2])
            template = self._renderer_shapes.get(shape)
            rebind = getattr(template, "rebind", None)
            renderer = rebind(list_sel.children) if rebind is not None else None
            if renderer is not None:
                # Not kept: it serves this ``after`` alone, and thousands kept were young
                # objects every collection walked (and then full collections).
                return renderer
            if renderer is None:
                renderer = build_renderer(
                    list_sel.children,
                    node_filter=_node_filter(spec, ext_spec),
                    record_type=spec.record_type,
                    aliases=spec.aliases,
                    global_variables=spec.global_variables,
                )
                if getattr(renderer, "rebind", None) is not None:
                    if len(self._renderer_shapes) > 256:
                        self._renderer_shapes.clear()
                    self._renderer_shapes[shape] = renderer
            if len(self._renderers) > 256:
                self._renderers.clear()
            self._renderers[signature] = renderer
        return renderer


class _Call:
    cache_key: tuple[Any, ...]

    def run(self) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError


class _RawCall(_Call):
    """A raw-record page: the root's page size, ``pageInfo`` with the next cursor.

    Cursors are page indexes (taskDetails, task, taskLegDetails) or, on agentSession, the last
    record's ``agentSessionId`` (a search-after key: records come ascending by it)."""

    def __init__(
        self,
        engine: SearchEngine,
        spec: RootSpec,
        sel: Sel,
        args: Mapping[str, Any],
        window: _Window,
        cursor: str | None,
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.sel = sel
        self.args = args
        self.window = window
        self.after: str | None = None
        self.page = 0
        self._streamed_end_key: Any = None
        self.next_cursor: str | None = None  # set by run(): the answer's endCursor
        self.owned = False  # the page's records were rendered for this answer alone
        self.kept_records = False  # the page's records wait for the key filters that follow
        # Compiled once per request: an indexed page with a filter asked for them up to four
        # times (its order, the records it passes, the page shown), ~15 us each.
        self._filter: RecordFilter | None = None
        self._ext: tuple[Predicate | None] | None = None
        self._show: Callable[[Mapping[str, Any]], Mapping[str, Any] | None] | None = None
        if spec.key_cursor is not None:
            self.after = _key_cursor(cursor)
        else:
            self.page = _raw_page_index(cursor)
        self.filter_key = (_freeze(args.get("filter")), _freeze(args.get("extFilter")))
        self.sort = _record_sort(spec, sel)
        self.cache_key = (
            "raw",
            spec.name,
            window.identity,
            _signature(sel),
            self.filter_key,
            self.page,
            self.after,
        )

    def _matching(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """Records passing ``filter``, newest first for the 413 check, then ``extFilter``.

        On agentSession a record shows only the channels the filter holds with, and with an
        ``extFilter`` only the channels holding a matching activity."""
        return self._passing(((None, r) for r in records), _record_only)

    def _passing(
        self,
        tagged: Iterable[tuple[Any, Mapping[str, Any]]],
        project: Callable[[Any, Mapping[str, Any]], Any],
    ) -> Iterator[Any]:
        """``project(tag, shown record)`` of the ``(tag, record)`` pairs whose record passes
        ``filter`` and ``extFilter`` (see :meth:`_matching`), in the order given; lazily
        without an ``extFilter`` (whose 413 check needs the whole window first)."""
        spec = self.spec
        show = self._shower()
        ext = self._record_ext()
        if ext is None:
            for tag, r in tagged:
                shown = show(r)
                if shown is not None:
                    yield project(tag, shown)
            return
        # The service gives up (413) when the first page of extFilter matches cannot be filled
        # from the first 2,500 records of the span and filter, newest first.
        newest: deque[bool] = deque(maxlen=EXT_FILTER_SCAN)
        total = 0
        kept: list[Any] = []
        for tag, r in tagged:
            shown = show(r)
            if shown is None:
                continue
            total += 1
            hit = ext(shown)
            newest.append(hit)
            if hit:
                kept.append(project(tag, shown))
        if total > EXT_FILTER_SCAN and sum(newest) < spec.page_size:
            raise HttpError(
                413,
                "The first page cannot be filled from the first "
                f"{EXT_FILTER_SCAN} records matching the query span and filter; "
                "narrow the span or the filter",
            )
        yield from kept

    def _record_filter(self) -> RecordFilter:
        if self._filter is None:
            self._filter = RecordFilter(self.args.get("filter"), self.spec)
        return self._filter

    def _record_ext(self) -> Predicate | None:
        """The ``extFilter`` as a test of a record (None without one)."""
        if self._ext is None:
            self._ext = (_record_ext(self.spec, self.args.get("extFilter")),)
        return self._ext[0]

    def _shower(self) -> Callable[[Mapping[str, Any]], Mapping[str, Any] | None]:
        if self._show is None:
            self._show = self._compile_shower()
        return self._show

    def _compile_shower(self) -> Callable[[Mapping[str, Any]], Mapping[str, Any] | None]:
        """The record as the answer shows it, or None when ``filter`` drops it (before
        ``extFilter``): on agentSession only the channels the filter holds with and, with an
        ``extFilter``, only the channels holding a matching activity. A pure function of the
        record, so a record rendered again (a page of an indexed window) shows the same."""
        spec = self.spec
        flt = self._record_filter()
        channel = spec.channel_level
        key = channel.key if channel is not None else ""
        pred = flt.pred
        ext_channel: Predicate | None = None
        if channel is not None and self._record_ext() is not None:
            ext_channel = compile_ext(
                self.args.get("extFilter"),
                spec.ext_container,
                tuple(level.key for level in spec.levels),
                1,
            )
        per_entry = pred is not None and flt.per_entry

        def show(r: Mapping[str, Any]) -> Mapping[str, Any] | None:
            if pred is not None:
                if per_entry:
                    shown = _with_entries(r, flt, key)
                    if shown is None:
                        return None
                    r = shown
                elif not pred(r):
                    return None
            if ext_channel is not None:
                r = _keep_entries(r, ext_channel, key)
            return r

        return show

    def _order_key(self) -> tuple[Any, ...]:
        return (self.filter_key, tuple((p, d) for p, _g, d in self.sort))

    def _cached_order(self, records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        key = self._order_key()
        ordered = self.window.ordered.get(key)
        if ordered is None:
            ordered = list(self._matching(records))
            if self.sort or self.spec.key_cursor is not None:
                ordered.sort(key=_sort_key(self.spec, self.sort))
            else:
                ordered.reverse()  # createdTime desc, id desc
            if len(self.window.ordered) > 16:
                self.window.ordered.clear()
            self.window.ordered[key] = ordered
        return ordered

    def _streamed_page(self, list_sel: Sel, first: int | None, size: int) -> tuple[bytes, int, int]:
        """A page of a window too big to keep: its records are projected in one pass and the
        JSON of each (not the records) is kept, up to the record cap, in answer order.

        Returns the page's JSON list, the number of matching records and the page's first
        index (``first``, or the position after the search-after key)."""
        window = self.window
        spec = self.spec
        key = (window.key, self._order_key(), _signature(list_sel))
        cap = self.engine.raw_record_cap if spec.raw_capped else None
        keyed_order = bool(self.sort) or spec.key_cursor is not None
        cursor_get = getter(spec.key_cursor) if spec.key_cursor is not None else None

        def build() -> _Fragments:
            render = self.engine.renderer(spec, list_sel, self.args.get("extFilter"))
            sort_key = _sort_key(spec, self.sort) if keyed_order else None
            stable = window.key[3] <= window.now_ms
            keyed: list[tuple[tuple[Any, ...], bytes, Any]] = []
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
                        keyed.append((sort_key(r), fragment, cursor_get(r) if cursor_get else None))
            finally:
                if enabled:
                    gc.enable()
            keys: list[Any] = []
            if sort_key is None:
                items = list(newest)
                items.reverse()  # createdTime desc, id desc
            else:
                keyed.sort(key=lambda item: item[0])
                if cap is not None:
                    keyed = keyed[:cap]
                items = [f for _k, f, _c in keyed]
                keys = [c for _k, _f, c in keyed]
            return _Fragments(window.now_ms, stable, total, items, keys)

        fragments = self.engine.fragments(key, window.now_ms, build)
        if first is None:
            first = bisect_right(fragments.keys, self.after) if self.after else 0
        chunk = fragments.items[first : first + size]
        end_key = None
        if fragments.keys and first + size - 1 < len(fragments.keys):
            end_key = fragments.keys[first + size - 1]
        self._streamed_end_key = end_key
        return b"[" + b",".join(chunk) + b"]", fragments.total, first

    def _index_order(self, index: RecordIndex) -> _Order:
        """The answer order of an indexed window (kept per filter and sort): the default order
        without filter costs nothing; otherwise every record is rendered once, its sort key
        kept, and the records dropped."""
        key = self._order_key()
        order = self.window.ordered.get(key)
        if order is not None:
            assert isinstance(order, _Order)
            return order
        spec = self.spec
        cap = self.engine.raw_record_cap if spec.raw_capped else None
        n = len(index.refs)
        filtered = self._record_filter().pred is not None or self._record_ext() is not None
        key_field = getattr(index, "key_field", None)
        if not filtered and not self.sort and spec.key_cursor is None:
            reachable = n if cap is None else min(n, cap)
            order = _Order(range(n - 1, n - 1 - reachable, -1), n)  # createdTime desc, id desc
        elif not filtered and not self.sort and key_field == spec.key_cursor:
            # Search-after on the record key alone: the order is the keys', read from the
            # references (no record rendered; ties keep the model's order, as a stable sort).
            key_of = index.key_of
            by_key = sorted(((key_of(ref) or "", pos) for pos, ref in enumerate(index.refs)))
            if cap is not None:
                del by_key[cap:]
            order = _Order(array("l", (p for _k, p in by_key)), n, [k for k, _p in by_key])
        else:
            with_nodes = self._record_ext() is not None
            scan = self._candidates(index)
            kept: dict[int, Mapping[str, Any]] = {}
            if len(scan) <= _KEEP_PICKED:
                # Picked by key: rendered whole once (or taken from the page that rendered
                # it), filtered, and kept for the page.
                picked = self.engine.page_records(self.window.identity, index, scan)
                kept = dict(zip(scan, picked, strict=True))
                tagged = zip(scan, picked, strict=True)
            else:
                tagged = zip(scan, _rendered(index, scan, with_nodes), strict=True)
            cursor_get = getter(spec.key_cursor) if spec.key_cursor is not None else None
            enabled = gc.isenabled()
            gc.disable()
            try:
                if self.sort or spec.key_cursor is not None:
                    sort_key = _sort_key(spec, self.sort)
                    keyed = list(
                        self._passing(
                            tagged,
                            lambda pos, r: (
                                sort_key(r),
                                pos,
                                cursor_get(r) if cursor_get is not None else None,
                            ),
                        )
                    )
                    keyed.sort(key=lambda item: item[0])
                else:
                    keyed = [((), pos, None) for pos in self._passing(tagged, _tag_only)]
                    keyed.reverse()  # createdTime desc, id desc
            finally:
                if enabled:
                    gc.enable()
            total = len(keyed)
            if cap is not None:
                del keyed[cap:]
            positions = array("l", (pos for _k, pos, _c in keyed))
            keys = [c for _k, _p, c in keyed] if cursor_get is not None else []
            order = _Order(positions, total, keys, kept)
        if len(self.window.ordered) > 16:
            self.window.ordered.clear()
        self.window.ordered[key] = order
        return order

    def _candidates(self, index: RecordIndex) -> Sequence[int]:
        """Positions of an indexed window that can pass ``filter``: with an ``equals`` on the
        record's key among its (ANDed) conditions, the records with that key, found without
        rendering any (the pipeline asks for one task's or session's further activities this
        way, once per long list); else every position. The filter itself still decides."""
        n = len(index.refs)
        flt = self.args.get("filter")
        key_field = getattr(index, "key_field", None)
        if key_field is None or not isinstance(flt, Mapping):
            return range(n)
        for name, ops in flt.items():
            if self.spec.aliases.get(name, name) != key_field or not isinstance(ops, Mapping):
                continue
            wanted = ops.get("equals")
            if isinstance(wanted, str):
                return self.window.positions_of(wanted)
        return range(n)

    def _indexed_page(
        self, index: RecordIndex, first: int | None, size: int
    ) -> tuple[list[Mapping[str, Any]], int, int, Any]:
        """A page of an indexed window: its records (rendered now, shown as the filter shows
        them), the number of matching records, the page's first index and, on key-cursor
        roots, the search-after key of the page's last record. ``self.owned`` tells whether
        the records were rendered for this answer alone (nobody else holds them)."""
        spec = self.spec
        order = self._index_order(index)
        if first is None:
            first = bisect_right(order.keys, self.after) if self.after else 0
        cap = self.engine.raw_record_cap if spec.raw_capped else None
        reachable = order.total if cap is None else min(order.total, cap)
        last = min(first + size, reachable)
        if first >= last:
            return [], order.total, first, None
        list_sels = self.sel.child(spec.list_field)
        if not list_sels:
            end_key = order.keys[last - 1] if order.keys else None
            return [], order.total, first, end_key
        with_nodes = any(_selects_activities(t) for t in list_sels)
        chosen = order.positions[first:last]
        records: list[Mapping[str, Any]]
        filtered = self.args.get("filter") is not None or self.args.get("extFilter") is not None
        render_nodes = getattr(index, "render_nodes", None)
        render_lean = getattr(index, "render_lean", None)
        self.owned = not filtered
        if order.rendered and all(p in order.rendered for p in chosen):
            records = [order.rendered[p] for p in chosen]
            self.owned = False
        elif (
            not with_nodes
            and render_lean is not None
            and not filtered
            and all(_reads_only(t, index.lean_fields, spec.aliases) for t in list_sels)
        ):
            # The task query: its fields are a third of a CSR, and the costly rest is skipped.
            records = render_lean([index.refs[p] for p in chosen])
        elif (
            with_nodes
            and render_nodes is not None
            and not filtered
            and all(_reads_only(t, index.nodes_fields, spec.aliases) for t in list_sels)
        ):
            records = render_nodes([index.refs[p] for p in chosen])
        elif not filtered and (render_text := self._text_renderer(index, list_sels)):
            # The records as JSON text, not dicts: the answer shows them as they are.
            records = _Encoded(render_text([index.refs[p] for p in chosen]))
        else:
            records = index.render([index.refs[p] for p in chosen], with_nodes)
            if with_nodes and not filtered and index.key_field is not None:
                self.engine.keep_page_records(self.window.identity, chosen, records)
                self.owned = False
                self.kept_records = True
        if self.args.get("filter") is not None or self.args.get("extFilter") is not None:
            show = self._shower()
            shown = [show(r) for r in records]
            records = [r for r in shown if r is not None]
        end_key = order.keys[last - 1] if order.keys else None
        return records, order.total, first, end_key

    def _text_renderer(
        self, index: RecordIndex, list_sels: list[Sel]
    ) -> Callable[[Sequence[Any]], list[str]] | None:
        """Records of the index as JSON text (``render_text``), when the page can be them: one
        list selection showing the leading public members of the records' layout as they are,
        and a cursor that is a page index (the answer reads no record)."""
        layout = getattr(index, "text_layout", None)
        if layout is None or len(list_sels) != 1 or self.spec.key_cursor is not None:
            return None
        cache = list_sels[0].cache
        key = ("members as is", id(layout))
        if key not in cache:
            spec = self.spec
            cache[key] = members_as_is(
                list_sels[0].children, layout, spec.aliases, spec.global_variables
            )
        members = cache[key]
        if members is None:
            return None
        render_text = index.render_text  # type: ignore[attr-defined]
        return lambda refs: render_text(refs, members)  # type: ignore[no-any-return]

    def run(self) -> bytes:
        spec = self.spec
        cap = self.engine.raw_record_cap if spec.raw_capped else None
        size = spec.page_size
        first: int | None = None if spec.key_cursor is not None else self.page * size
        streamed: dict[str, bytes] = {}
        ordered: list[Mapping[str, Any]] = []
        page: list[Mapping[str, Any]] = []
        cursor_get = getter(spec.key_cursor) if spec.key_cursor is not None else None
        index = self.window.index
        if index is not None:
            page, total, first, self._streamed_end_key = self._indexed_page(index, first, size)
        elif self.window.records is not None:
            ordered = self._cached_order(self.window.records)
            total = len(ordered)
            if first is None:
                first = _position_after(ordered, cursor_get, self.after)
        else:
            list_sels = self.sel.child(spec.list_field)
            if not list_sels:  # only pageInfo: count the matches (and find the cursor)
                matched = list(self._matching(self.window.iterate()))
                if spec.key_cursor is not None:
                    matched.sort(key=_sort_key(spec, self.sort))
                    first = _position_after(matched, cursor_get, self.after)
                    ordered = matched
                total = len(matched)
            for t in list_sels:
                limit = size if cap is None or first is None else max(0, min(size, cap - first))
                chunk, total, first = self._streamed_page(t, first, limit)
                streamed[t.key] = chunk
        assert first is not None
        reachable = total if cap is None else min(total, cap)
        last = min(first + size, reachable)
        if index is None:
            page = ordered[first:last] if first < reachable and ordered else []
        has_next = last < reachable
        end_cursor: str | None = None
        if has_next:
            if spec.key_cursor is None:
                end_cursor = str(self.page + 1)
            elif page:
                end_cursor = str(cursor_get(page[-1])) if cursor_get else None
            else:
                end_cursor = self._streamed_end_key
        self.next_cursor = end_cursor
        out: dict[str, Any] = {}
        for c in self.sel.children:
            if c.name == spec.list_field:
                if c.key in streamed:
                    out[c.key] = orjson.Fragment(streamed[c.key])
                elif type(page) is _Encoded:
                    out[c.key] = orjson.Fragment("[" + ",".join(page) + "]")
                else:
                    render = self.engine.renderer(spec, c, self.args.get("extFilter"))
                    if self.owned and len(self.sel.child(spec.list_field)) == 1:
                        render = getattr(render, "in_place", render)
                    out[c.key] = _render_all(render, page)
            elif c.name == "pageInfo":
                out[c.key] = page_info(c.children, has_next, end_cursor)
            elif c.name in ("intervalInfo", "has"):
                out[c.key] = None
            elif c.name == "__typename":
                out[c.key] = spec.list_type
        return orjson.dumps(out)


def _next_variables(sel: Sel, variables: Mapping[str, Any], cursor: str) -> dict[str, Any] | None:
    """``variables`` asking for the page at ``cursor``, when the root's cursor is a variable
    (``pagination: {cursor: $cursor}`` or ``pagination: $pagination``); else None."""
    node = sel.node
    if node is None:
        return None
    for argument in node.arguments or ():
        if argument.name.value != "pagination":
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            name = value.name.value
            given = variables.get(name)
            if given is not None and not isinstance(given, Mapping):
                return None
            return {**variables, name: {**(given or {}), "cursor": cursor}}
        if isinstance(value, ObjectValueNode):
            for member in value.fields:
                if member.name.value == "cursor" and isinstance(member.value, VariableNode):
                    return {**variables, member.value.name.value: cursor}
    return None


def _record_weight(record: Mapping[str, Any]) -> int:
    """A rendered record's weight as the model counts it: one, and a fifth of its activities
    (a task's, or every channel's of a session)."""
    nodes = len(record.get("_activities") or ())
    for channel in record.get("channelInfo") or ():
        nodes += len(channel.get("_activities") or ())
    return 1 + nodes // 5


def _reads_only(list_sel: Sel, fields: frozenset[str], aliases: Mapping[str, str]) -> bool:
    """Whether projecting ``list_sel`` reads nothing of a record but ``fields`` and its
    activities (so a record holding just those answers it)."""
    return all(
        c.name in ("activities", "__typename") or aliases.get(c.name, c.name) in fields
        for c in list_sel.children
    )


def _record_only(_tag: Any, r: Mapping[str, Any]) -> Mapping[str, Any]:
    return r


def _tag_only(tag: Any, _r: Mapping[str, Any]) -> Any:
    return tag


def _with_entries(r: Mapping[str, Any], flt: RecordFilter, key: str) -> Mapping[str, Any] | None:
    """The record if the filter holds for it, showing only the entries of ``key`` it holds
    with; None if it does not hold."""
    entries = flt.entries(r)
    if entries is None:
        return r if flt.record(r) else None
    if not entries:
        return None
    if len(entries) == len(r.get(key) or ()):
        return r
    shown = dict(r)
    shown[key] = entries
    return shown


def _keep_entries(r: Mapping[str, Any], pred: Predicate, key: str) -> Mapping[str, Any]:
    """The record as it is, keeping only the entries of ``key`` holding a matching activity."""
    entries = r.get(key) or ()
    kept = [e for e in entries if pred(e)]
    if len(kept) == len(entries):
        return r
    shown = dict(r)
    shown[key] = kept
    return shown


def _record_ext(spec: RootSpec, ext_spec: Any) -> Predicate | None:
    if ext_spec is None or not spec.ext_container:
        return None
    keys = tuple(level.key for level in spec.levels)
    return compile_ext(ext_spec, spec.ext_container, keys, 0)


def _node_filter(spec: RootSpec, ext_spec: Any) -> Predicate | None:
    """The extFilter as a test of one activity node (which activities a raw answer shows)."""
    if ext_spec is None or not spec.ext_container:
        return None
    keys = tuple(level.key for level in spec.levels)
    return compile_ext(ext_spec, spec.ext_container, keys, len(keys))


def _position_after(
    ordered: list[Mapping[str, Any]], get: Callable[[Any], Any] | None, after: str | None
) -> int:
    """Index of the first record whose key sorts after ``after`` (search-after paging)."""
    if after is None or get is None:
        return 0
    keys = [get(r) for r in ordered]
    return bisect_right(keys, after)


def _key_cursor(cursor: str | None) -> str | None:
    if cursor is None or cursor in FIRST_PAGE_CURSORS:
        return None
    if not _UUID.fullmatch(cursor):
        raise QueryError(f"Invalid cursor {cursor!r}")
    return cursor


def _weight(r: Mapping[str, Any]) -> int:
    """A record's share of the engine's record budget (an agent session counts its activities:
    ten AAR nodes take about what one task takes)."""
    channels = r.get("channelInfo")
    if isinstance(channels, list):
        return 1 + sum(len(c.get("_activities") or ()) for c in channels) // 10
    return 1


@dataclass
class _Fragments:
    """The JSON of each projected record of a streamed window, in answer order (to the cap)."""

    now_ms: int
    stable: bool
    total: int  # records matching, not capped
    items: list[bytes]
    keys: list[Any] = field(default_factory=list)  # search-after keys, when the root has them
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
    spec: RootSpec,
    sort: list[tuple[str, Callable[[Any], Any], bool]],
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """Sort by the requested fields (missing values last either way, as Elasticsearch), then
    by the default order (createdTime, id, both descending; agentSessionId ascending)."""
    tail_fields = spec.default_order
    key_field = spec.key_cursor

    def key(r: Mapping[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for _path, get, desc in sort:
            v = get(r)
            parts.append((1, None) if v is None else (0, _Desc(v) if desc else v))
        if key_field is not None:
            parts.append(r.get(key_field) or "")
        else:
            parts.append(_Desc(tuple(r.get(f) or _ZERO.get(f, "") for f in tail_fields)))
        return tuple(parts)

    return key


_ZERO = {"createdTime": 0}


class _AggregationCall(_Call):
    """An aggregation page: 1000 buckets, composite-key cursors."""

    def __init__(
        self,
        engine: SearchEngine,
        spec: RootSpec,
        sel: Sel,
        args: Mapping[str, Any],
        window: _Window,
        time_field: str,
        span_ms: int,
        cursor: str | None,
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.sel = sel
        self.args = args
        self.window = window
        self.cursor = None if cursor in FIRST_PAGE_CURSORS or cursor is None else cursor
        self.queries = [
            AggregationQuery(t, args, root=spec, time_field=time_field, span_ms=span_ms)
            for t in sel.child(spec.list_field)
        ]
        self.cache_key = ("aggregation", spec.name, window.identity, _signature(sel), _freeze(args))

    def run(self) -> bytes:
        has_next = False
        end_cursor: str | None = None
        rows: dict[str, list[dict[str, Any]]] = {}
        index = self.window.index
        for query in self.queries:
            if index is not None and query.counts_records():
                buckets = query.counted(len(index.refs))  # nothing to render
            else:
                buckets = query.buckets(self.window.iterate())
            page, has_next, end_cursor = query.page(buckets, self.cursor)
            rows[query.list_sel.key] = [query.render_row(k, accs) for k, accs in page]
        out: dict[str, Any] = {}
        for c in self.sel.children:
            if c.name == self.spec.list_field:
                out[c.key] = rows[c.key]
            elif c.name == "pageInfo":
                out[c.key] = page_info(c.children, has_next, end_cursor)
            elif c.name == "intervalInfo":
                out[c.key] = _interval_info(c, self.args.get("aggregationInterval"))
            elif c.name == "has":
                out[c.key] = None
            elif c.name == "__typename":
                out[c.key] = self.spec.list_type
        return orjson.dumps(out)


class _Encoded(list):  # type: ignore[type-arg]
    """A page of records already encoded as JSON text (``RecordRefs.render_text``)."""


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


def _record_sort(spec: RootSpec, sel: Sel) -> list[tuple[str, Callable[[Any], Any], bool]]:
    """``(path, getter, descending)`` for every record field selected with ``sort:``."""
    out: list[tuple[str, Callable[[Any], Any], bool]] = []
    for records in sel.child(spec.list_field):
        _collect_sort(records.children, "", out, spec)
    return out


def _collect_sort(
    sels: list[Sel],
    prefix: str,
    out: list[tuple[str, Callable[[Any], Any], bool]],
    spec: RootSpec,
) -> None:
    for s in sels:
        if s.name == "activities" or s.is_list:
            continue  # sorts activities within a record (or a list's entries), not records
        if not prefix and s.name in GLOBAL_VARIABLE_FIELDS and spec.global_variables:
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
            _collect_sort(s.children, f"{prefix}{s.name}.", out, spec)
            continue
        order = s.args.get("sort") if s.args else None
        if order is not None:
            if not prefix and s.name in ("intervalStartTime", "aggregation"):
                continue  # null in raw answers: orders nothing
            out.append((prefix + s.name, getter(prefix + s.name, spec.aliases), order == "desc"))


def _selects_activities(sel: Sel) -> bool:
    """Whether a raw selection asks for activity records (CAR or AAR) anywhere."""
    return any(
        (c.name == "activities" and bool(c.children)) or _selects_activities(c)
        for c in sel.children
    )


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


def _shape_signature(sel: Sel) -> tuple[Any, ...]:
    """``_signature`` without the arguments of activities selections (``first``, ``after``)."""
    sig = sel.cache.get("shape_signature")
    if sig is None:
        activities = sel.name == "activities" and bool(sel.children)
        sig = sel.cache["shape_signature"] = (
            sel.key,
            sel.name,
            None if activities else _freeze(sel.args),
            tuple(_shape_signature(c) for c in sel.children),
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
