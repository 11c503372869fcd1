"""Client for the WxCC Search API (``POST /search``, GraphQL): raw records of a window, page by page.

Every raw surface is described as data (:class:`RawQuery`): ``taskDetails`` (CSR, and CAR through
its ``activities``), the legacy ``task``, ``agentSession`` (ASR, and AAR through
``channelInfo[].activities``) and ``taskLegDetails`` (CLR). Per window ``[start_ms, end_ms)``:

1. ask the window's record count with one aggregation query;
2. when the count is over the raw-paging cap (100,000 records for taskDetails, task and
   taskLegDetails: past it the API stops paging as if the window were complete), split the window
   in two by time, recursively, until every piece fits (:meth:`SearchClient.window_pieces`); a
   window longer than its surface allows (365 days; 30 for raw activities) is cut first;
3. page each piece's raw records with the cursor, yielding each page's list as it arrives;
4. complete every record's activity list before its page is yielded: a task (or agent session
   channel) with more activities than the first inner page holds gets the rest from the surface's
   ``*_more`` query, merged in, so consumers always see whole lists;
5. check that each piece's pages held exactly its counted records, and each activity list exactly
   its ``totalCount``, so silent truncation cannot pass.

Queries are files (``queries/graphql/<name>.graphql``); window, cursor, comparator and keys are
bound as variables. Answers are decoded with orjson straight from the bytes and checked on every
page: GraphQL ``errors`` (the API answers a refused but valid query with HTTP 200, ``errors`` and
``data.<root>: null``), the result list, ``pageInfo``. gql's ``Client.execute`` is not used on
this path: it decodes with the json module and builds objects the pipeline does not need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from typing import Any

import graphql
import httpx
import numpy as np
import orjson

import queries
from pipelines.sources.errors import (
    ConfigError,
    IncompleteWindow,
    MalformedResponse,
    SpanTooLong,
    WindowTooLarge,
    describe_window,
    iso_ms,
    redact,
)
from pipelines.sources.http import RequestStats, WxccHttp
from pipelines.sources.paging import FIRST_CURSOR, CursorPaginator
from pipelines.sources.sightings import Sightings
from warehouse.json_arrow import DecodedPage, PageDecoder, record_digest

log = logging.getLogger(__name__)

SEARCH_PATH = "/search"
DAY_MS = 86_400_000
MAX_SPAN_MS = 365 * DAY_MS
ACTIVITY_SPAN_MS = 30 * DAY_MS  # raw queries selecting activities (CAR/AAR)
RAW_PAGE_CAP = 100_000
INNER_PAGE_SIZE = 100  # activities(first:) maximum
COUNT_NAME = "count"  # the aggregation's name in the *_count queries
CREATED_TIME = "createdTime"
ENDED_TIME = "endedTime"

Record = dict[str, Any]
Page = list[Record]


@dataclass(frozen=True)
class InnerPaging:
    """Where a record's activities sit and how to ask for their further pages.

    ``more_query`` binds ``$from``, ``$to``, ``$after`` and ``$<key_variable>`` (the record's
    ``key_field`` value), and answers the one record with its activities after the cursor. With
    ``channels`` the activities are per entry of the record's ``channelInfo`` list (agentSession),
    found again in the answer by ``channelId``.
    """

    more_query: str
    key_field: str
    key_variable: str
    channels: bool = False


@dataclass(frozen=True)
class RawQuery:
    """One raw record surface of the Search API, described as data.

    ``page_query`` binds ``$from``, ``$to`` and ``$cursor``; ``count_query`` binds ``$from`` and
    ``$to`` and asks one aggregation named ``count``. Records are at ``data.<root>.<list_field>``.
    ``capped``: raw paging stops at the client's ``page_cap`` (taskDetails, task, taskLegDetails).
    ``comparator``: every query of the surface also binds ``$timeComparator`` (``createdTime`` or
    ``endedTime``), so windows can select on ``endedTime``. ``page_size`` is the API's fixed page
    size (documentation: the paginator follows cursors, which are opaque: page indexes for
    taskDetails/taskLegDetails, UUIDs for agentSession). ``key_field``/``time_field``: the
    record's key and the field the window selects on by default. ``max_span_ms``: the longest
    window the surface accepts. ``inner``: the record carries paged activities.
    """

    page_query: str
    count_query: str
    root: str
    list_field: str
    capped: bool = True
    comparator: bool = False
    page_size: int = 250
    key_field: str = "id"
    time_field: str = CREATED_TIME
    max_span_ms: int = MAX_SPAN_MS
    first_cursor: str = FIRST_CURSOR
    inner: InnerPaging | None = None
    label: str = ""

    @property
    def name(self) -> str:
        """How errors and logs name the surface (``taskDetails``, ``taskDetails activities``)."""
        return self.label or self.root


TASK_DETAILS = RawQuery(
    "task_details", "task_details_count", "taskDetails", "tasks", comparator=True
)
TASK_ACTIVITIES = RawQuery(
    "task_activities",
    "task_details_count",
    "taskDetails",
    "tasks",
    comparator=True,
    max_span_ms=ACTIVITY_SPAN_MS,
    inner=InnerPaging("task_activities_more", key_field="id", key_variable="taskId"),
    label="taskDetails activities",
)
# Legacy view of CSR; its page size is undocumented (older samples: 100) and its samples start at
# cursor "0". Cisco documents the 100,000-record cap for raw CSR paging, so it is held to it too.
TASK = RawQuery(
    "task", "task_count", "task", "tasks", comparator=True, page_size=100, first_cursor="0"
)
AGENT_SESSIONS = RawQuery(
    "agent_sessions",
    "agent_sessions_count",
    "agentSession",
    "agentSessions",
    capped=False,
    key_field="agentSessionId",
    time_field="startTime",
)
AGENT_ACTIVITIES = RawQuery(
    "agent_activities",
    "agent_sessions_count",
    "agentSession",
    "agentSessions",
    capped=False,
    key_field="agentSessionId",
    time_field="startTime",
    max_span_ms=ACTIVITY_SPAN_MS,
    inner=InnerPaging(
        "agent_activities_more",
        key_field="agentSessionId",
        key_variable="sessionId",
        channels=True,
    ),
    label="agentSession activities",
)
TASK_LEG_DETAILS = RawQuery(
    "task_leg_details",
    "task_leg_details_count",
    "taskLegDetails",
    "taskLegs",
    comparator=True,
    page_size=500,
)
SOURCES: tuple[RawQuery, ...] = (
    TASK_DETAILS,
    TASK_ACTIVITIES,
    TASK,
    AGENT_SESSIONS,
    AGENT_ACTIVITIES,
    TASK_LEG_DETAILS,
)


@dataclass(frozen=True)
class PieceCount:
    """One piece of a window and the record count the API gave for it."""

    source: str
    start_ms: int
    end_ms: int
    count: int
    time_field: str


@dataclass
class SearchStats:
    """Counters of one :class:`SearchClient`; requests and retries come from its transport."""

    http: RequestStats = field(repr=False)
    windows: int = 0  # windows (or pieces) paged
    count_queries: int = 0
    pages: int = 0
    records: int = 0
    api_count: int = 0  # sum of the API's counts over the windows paged, for reconciliation
    pieces: int = 0  # pieces window_pieces produced
    splits: int = 0  # times a piece over the cap was split in two
    activity_requests: int = 0  # *_more requests for further activity pages
    activities: int = 0  # activity nodes in the records yielded, after merging
    repeated: int = (
        0  # records answered again, identical, on a later page of their window (dropped)
    )
    duplicates: int = 0  # activities seen twice across inner pages, records at piece boundaries
    piece_counts: list[PieceCount] = field(default_factory=list, repr=False)

    @property
    def requests(self) -> int:
        return self.http.requests

    @property
    def retries(self) -> int:
        return self.http.retries

    @property
    def rate_limited(self) -> int:
        return self.http.rate_limited

    def as_dict(self) -> dict[str, int | float]:
        """Flat counters for Dagster metadata (``piece_counts`` is left out: it is a list)."""
        return {
            "windows": self.windows,
            "count_queries": self.count_queries,
            "pages": self.pages,
            "records": self.records,
            "api_count": self.api_count,
            "pieces": self.pieces,
            "splits": self.splits,
            "activity_requests": self.activity_requests,
            "activities": self.activities,
            "duplicates": self.duplicates,
            **self.http.as_dict(),
        }


def _variables(text: str, name: str) -> set[str]:
    try:
        document = graphql.parse(text)
    except graphql.GraphQLError as exc:
        raise ConfigError(f"GraphQL query {name!r} does not parse: {exc.message}") from None
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if len(operations) != 1:
        raise ConfigError(f"GraphQL query {name!r} must hold exactly one operation")
    return {v.variable.name.value for v in operations[0].variable_definitions or ()}


def _next_after(end_cursor: str) -> str:
    """The inner ``after`` to send for a page that ended at ``end_cursor``.

    The inner cursor is the epoch-ms time of the page's last activity and the next page holds
    activities strictly older (newest first: a search-after on one key), so activities sharing
    that millisecond but not on the page would be skipped. Asking after ``end_cursor + 1`` takes
    that millisecond again; the activities already held are dropped by id. A cursor that is not a
    number is sent as it came.
    """
    if end_cursor.isascii() and end_cursor.isdigit():
        return str(int(end_cursor) + 1)
    return end_cursor


_DICT_ONLY = frozenset({dict})
_STR_ONLY = frozenset({str})


class _Lazy:
    """A part of an error message built only if an error needs it: one is made for every record
    with activities, and redacting its key eagerly cost as much as merging its activities."""

    __slots__ = ("_build",)

    def __init__(self, build: Callable[[], str]) -> None:
        self._build = build

    def __str__(self) -> str:
        return self._build()

    def __format__(self, spec: str) -> str:
        return format(self._build(), spec)


class SearchClient:
    """Raw records of the Search API, one window at a time.

    ``http`` is a :class:`WxccHttp` on the API base URL with a token provider; the client does not
    close it. ``org_id`` is sent as ``?orgId=`` (the API infers it from the token when absent).
    ``sources``: the surfaces whose query files are checked at construction (others are checked
    on first use).
    """

    def __init__(
        self,
        http: WxccHttp,
        *,
        org_id: str | None = None,
        page_cap: int = RAW_PAGE_CAP,
        sources: Iterable[RawQuery] = SOURCES,
    ) -> None:
        if page_cap < 1:
            raise ConfigError(f"page_cap must be at least 1, not {page_cap}")
        self._http = http
        self.org_id = org_id
        self.page_cap = page_cap
        self._params = {"orgId": org_id} if org_id else None
        self._texts: dict[str, str] = {}
        self._checked: set[RawQuery] = set()
        self.stats = SearchStats(http=http.stats)
        for source in sources:
            self._check(source)

    def close(self) -> None:
        """Close the transport this client was given (for callers that hand it over)."""
        self._http.close()

    def __enter__(self) -> SearchClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- taskDetails -------------------------------------------------------------------------

    def task_details_pages(self, start_ms: int, end_ms: int) -> Iterator[Page]:
        """CSR records created in ``[start_ms, end_ms)``, one list per page (see :meth:`pages`)."""
        return self.pages(TASK_DETAILS, start_ms, end_ms)

    def task_details_count(self, start_ms: int, end_ms: int) -> int:
        """How many CSR records were created in ``[start_ms, end_ms)``."""
        return self.count(TASK_DETAILS, start_ms, end_ms)

    # -- any raw surface, any window ---------------------------------------------------------

    def window_pages(
        self,
        source: RawQuery,
        start_ms: int,
        end_ms: int,
        *,
        time_field: str | None = None,
        decoder: PageDecoder | None = None,
    ) -> Iterator[Page | DecodedPage]:
        """Every record of a window of any size, one non-empty list per page, as pages arrive.

        The window is cut into pieces that each fit the surface's limits
        (:meth:`window_pieces`), and each piece is paged and checked against its count as
        :meth:`pages` does, so one loop over this generator loads the whole window. A record at
        a piece boundary that the API returns in both neighbouring pieces (should it treat ``to``
        as inclusive) is yielded once. ``time_field``: ``endedTime`` selects the records that
        ended in the window (surfaces with a comparator); default the surface's own field.
        ``decoder``: pages it can prove regular come as :class:`DecodedPage` (Arrow, no Python
        object per value), the others as lists of dicts as without it; both go to
        ``warehouse.land.land_windows``. The counts, repeat checks and errors are the same.

        Raises:
            WindowTooLarge: a 1 ms piece still holds more records than the cap.
            MalformedResponse, IncompleteWindow: as :meth:`pages`.
        """
        comparator = self._time_field(source, time_field)
        self._check_bounds(source, start_ms, end_ms)
        if decoder is not None and (comparator or source.time_field) != decoder.time_field:
            decoder = None  # the decoder reads the bounds' duplicates by its own time field
        return self._window_pages(source, start_ms, end_ms, comparator, decoder)

    def ended_pages(self, source: RawQuery, start_ms: int, end_ms: int) -> Iterator[Page]:
        """Every record that **ended** in ``[start_ms, end_ms)``, created then or earlier.

        :meth:`window_pages` with ``timeComparator: endedTime``, for re-fetching tasks that were
        open when their creation window was loaded (taskDetails, task, taskLegDetails).
        """
        return self.window_pages(source, start_ms, end_ms, time_field=ENDED_TIME)

    def window_pieces(
        self, source: RawQuery, start_ms: int, end_ms: int, *, time_field: str | None = None
    ) -> Iterator[tuple[int, int, int]]:
        """``(start_ms, end_ms, count)`` of consecutive pieces covering the window, in order.

        The window is first cut into spans the surface accepts (365 days; 30 for raw
        activities). Then each span's count is asked; one over the raw-paging cap is split in
        two at its midpoint, recursively, logging each split, until every piece fits. Each piece
        costs one count query, and is recorded in ``stats.piece_counts``.

        Raises:
            WindowTooLarge: a piece of 1 ms holds more records than the cap.
        """
        comparator = self._time_field(source, time_field)
        self._check_bounds(source, start_ms, end_ms)
        return self._window_pieces(source, start_ms, end_ms, comparator)

    def pages(
        self,
        source: RawQuery,
        start_ms: int,
        end_ms: int,
        *,
        time_field: str | None = None,
        expected: int | None = None,
    ) -> Iterator[Page]:
        """Every record of one window, one non-empty list per page, as pages arrive.

        The window's bounds and span are checked at once; the count is asked on the first
        ``next()`` (unless ``expected`` gives the count :meth:`window_pieces` returned for this
        window) and the total checked after the last page. Records with activities get every
        further activity page merged in before their page is yielded. A caller that stops early
        gets no completeness check.

        Raises:
            SpanTooLong: the window is longer than the surface allows (no request made).
            WindowTooLarge: the count is over the raw-paging cap (no page requested).
            MalformedResponse: a page cannot be trusted (GraphQL errors, missing keys, a cursor
                that would loop).
            IncompleteWindow: the pages held more or fewer records than the count, or an
                activity list more or fewer activities than its ``totalCount``.
        """
        comparator = self._time_field(source, time_field)
        window = self._check_window(source, start_ms, end_ms, comparator)
        return self._pages(source, start_ms, end_ms, window, comparator, expected)

    def count(
        self, source: RawQuery, start_ms: int, end_ms: int, *, time_field: str | None = None
    ) -> int:
        """The window's record count, from one aggregation query."""
        comparator = self._time_field(source, time_field)
        window = self._check_window(source, start_ms, end_ms, comparator)
        return self._count(source, start_ms, end_ms, window, comparator)

    # -- internals: windows ------------------------------------------------------------------

    def _window_pages(
        self,
        source: RawQuery,
        start_ms: int,
        end_ms: int,
        comparator: str | None,
        decoder: PageDecoder | None = None,
    ) -> Iterator[Page | DecodedPage]:
        # Keys of records whose time equals a piece bound: only they can come back in the
        # neighbouring piece, so only they are remembered.
        at_bounds: set[str] = set()
        time_field = comparator or source.time_field
        for piece_start, piece_end, count in self._window_pieces(
            source, start_ms, end_ms, comparator
        ):
            window = self._describe(piece_start, piece_end, comparator)
            bounds = (piece_start, piece_end)
            for page in self._pages(
                source, piece_start, piece_end, window, comparator, count, decoder
            ):
                if isinstance(page, DecodedPage):
                    if self._drop_bound_repeats(page, bounds, at_bounds):
                        yield page
                    continue
                kept = []
                for record in page:
                    key = record.get(source.key_field)
                    if record.get(time_field) in bounds and isinstance(key, str):
                        if key in at_bounds:
                            self.stats.duplicates += 1
                            continue
                        at_bounds.add(key)
                    kept.append(record)
                if kept:
                    yield kept

    def _drop_bound_repeats(
        self, page: DecodedPage, bounds: tuple[int, int], at_bounds: set[str]
    ) -> bool:
        """:meth:`_window_pages`' piece-boundary check on a decoded page; whether rows remain."""
        indexes = page.indexes()
        times = page.times[indexes]
        on_bound = np.flatnonzero((times == bounds[0]) | (times == bounds[1]))
        if not len(on_bound):
            return len(indexes) > 0
        dropped = set()
        for position in on_bound.tolist():
            key = page.keys[int(indexes[position])]
            if key in at_bounds:
                self.stats.duplicates += 1
                dropped.add(position)
                continue
            at_bounds.add(key)
        if dropped:
            page.keep([int(i) for p, i in enumerate(indexes.tolist()) if p not in dropped])
        return len(page) > 0

    def _window_pieces(
        self, source: RawQuery, start_ms: int, end_ms: int, comparator: str | None
    ) -> Iterator[tuple[int, int, int]]:
        spans = [
            (s, min(s + source.max_span_ms, end_ms))
            for s in range(start_ms, end_ms, source.max_span_ms)
        ]
        if len(spans) > 1:
            log.info(
                "%s %s spans %.1f days, more than the %d a query may: cut into %d windows",
                source.name,
                describe_window(start_ms, end_ms),
                (end_ms - start_ms) / DAY_MS,
                source.max_span_ms // DAY_MS,
                len(spans),
            )
        cap = self.page_cap if source.capped else None
        todo = list(reversed(spans))
        while todo:
            piece_start, piece_end = todo.pop()
            window = self._describe(piece_start, piece_end, comparator)
            count = self._count(source, piece_start, piece_end, window, comparator)
            if cap is None or count <= cap:
                self.stats.pieces += 1
                self.stats.piece_counts.append(
                    PieceCount(
                        source.name,
                        piece_start,
                        piece_end,
                        count,
                        comparator or source.time_field,
                    )
                )
                yield piece_start, piece_end, count
                continue
            if piece_end - piece_start <= 1:
                raise WindowTooLarge(
                    f"{source.name} window {window} of 1 ms holds {count:,} records, over the "
                    f"Search API's {cap:,}-record cap for raw paging, and cannot be split "
                    "further; these records cannot be fetched raw (use an aggregation or a "
                    "filter)",
                    count=count,
                    cap=cap,
                )
            middle = piece_start + (piece_end - piece_start) // 2
            self.stats.splits += 1
            log.info(
                "%s %s holds %s > %s: split at %s",
                source.name,
                window,
                f"{count:,}",
                f"{cap:,}",
                iso_ms(middle),
            )
            todo.append((middle, piece_end))
            todo.append((piece_start, middle))

    # -- internals: pages --------------------------------------------------------------------

    def _pages(
        self,
        source: RawQuery,
        start_ms: int,
        end_ms: int,
        window: str,
        comparator: str | None,
        expected: int | None,
        decoder: PageDecoder | None = None,
    ) -> Iterator[Page | DecodedPage]:
        if expected is None:
            expected = self._count(source, start_ms, end_ms, window, comparator)
        cap = self.page_cap if source.capped else None
        if cap is not None and expected > cap:
            raise WindowTooLarge(
                f"{source.name} window {window} holds {expected:,} records, over the Search "
                f"API's {cap:,}-record cap for raw paging; load it in smaller windows",
                count=expected,
                cap=cap,
            )
        self.stats.windows += 1
        self.stats.api_count += expected
        paginator = CursorPaginator(source.first_cursor)
        received = 0
        # A digest per record key (ints, not the record): 16 bytes a record. Offset-paged
        # answers repeat a record on the next page when the list shifts.
        seen = Sightings()
        while paginator.has_next:
            where = f"{source.name} page {paginator.pages + 1} of window {window}"
            response = self._request(
                source.page_query,
                self._bind(start_ms, end_ms, comparator, cursor=paginator.cursor),
                where,
            )
            decoded = decoder.decode(response.content) if decoder is not None else None
            if decoded is not None:
                # Proven to read as the dict path would (warehouse.json_arrow): the same checks
                # and counts, on the decoded columns.
                paginator.update(decoded.page_info, where=where)
                if not len(decoded) and paginator.has_next:
                    raise MalformedResponse(
                        f"{where}: an empty page says more pages follow; stopping rather than "
                        "looping"
                    )
                self._first_decoded_sightings(decoded, seen, where)
                if decoded.incomplete:
                    self._complete_decoded(source, decoded, start_ms, end_ms, comparator, where)
                self.stats.pages += 1
                self.stats.records += len(decoded)
                self.stats.activities += decoded.kept_activities()
                received += len(decoded)
                if len(decoded):
                    yield decoded
                continue
            result = self._parse(response, source.root, where)
            records = result.get(source.list_field)
            if not isinstance(records, list):
                raise MalformedResponse(
                    f"{where}: the answer has no list at data.{source.root}.{source.list_field}"
                )
            paginator.update(result.get("pageInfo"), where=where)
            if not records and paginator.has_next:
                raise MalformedResponse(
                    f"{where}: an empty page says more pages follow; stopping rather than looping"
                )
            records = self._first_sightings(source, records, seen, where)
            if source.inner is not None:
                for record in records:
                    self._complete_record(source, record, start_ms, end_ms, comparator, where)
            self.stats.pages += 1
            self.stats.records += len(records)
            received += len(records)
            if records:
                yield records
        if received != expected:
            why = "the API ended paging early"
            if cap is not None:
                why += f" (it stops raw paging at {cap:,} records)"
            raise IncompleteWindow(
                f"{source.name} window {window}: the pages held {received:,} records but the "
                f"window's count is {expected:,}; {why} or records changed while paging; "
                "reload the window",
                expected=expected,
                received=received,
            )
        log.info(
            "%s window %s: %d records in %d pages", source.name, window, received, paginator.pages
        )

    def _first_sightings(
        self, source: RawQuery, records: list[Any], seen: Sightings, where: str
    ) -> list[Any]:
        """``records`` without those already received in this window. A record answered again
        unchanged is dropped (counted in ``stats.repeated``); answered again with other values,
        it changed while the window was paged, and which version is current cannot be told from
        here: the window fails, to be reloaded."""
        # The records before the first that is not an object are read (a repeat among them
        # fails the window first), then that one is refused.
        bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)), None)
        good = records if bad is None else records[:bad]
        keys = [record.get(source.key_field) for record in good]
        keyed = [i for i, key in enumerate(keys) if key is not None]
        # GraphQL answers a selection's fields in the query's order, so the same record
        # serializes to the same bytes without sorting its keys (sorting cost as much as the
        # digest); a 63-bit digest of those bytes tells a changed record from a repeat, the
        # same as a decoded page's (warehouse.json_arrow).
        digests = [record_digest(orjson.dumps(good[i])) for i in keyed]
        if len(keyed) == len(good) and seen.all_new(keys, digests):
            kept = None  # every record new to the window: the rule, recorded at once
        else:
            hashes, before = seen.page([keys[i] for i in keyed])
            kept = [True] * len(good)
            for i, key_hash, earlier, digest in zip(keyed, hashes, before, digests, strict=True):
                kept[i] = self._first_sighting(keys[i], key_hash, earlier, digest, seen, where)
        if bad is not None:
            raise MalformedResponse(
                f"{where}: a record is {redact(repr(records[bad]), limit=40)}, not an object"
            )
        if kept is None:
            return good
        return [record for record, keep in zip(good, kept, strict=True) if keep]

    def _first_sighting(
        self,
        key: object,
        key_hash: int,
        earlier: int | None,
        digest: int,
        seen: Sightings,
        where: str,
    ) -> bool:
        """Whether the record of ``key`` (its bytes' ``digest``) is new to the window; a repeat
        unchanged is counted, a repeat with other values fails the window (see above).
        ``earlier``: the digest recorded before this page (``Sightings.page``)."""
        before = earlier if earlier is not None else seen.get(key_hash)
        if before is None:
            seen.add(key_hash, digest)
            return True
        if before == digest:
            self.stats.repeated += 1
            return False
        raise IncompleteWindow(
            f"{where}: record {redact(repr(key), limit=60)} came again with other "
            "values (it changed while the window was paged); reload the window",
            expected=len(seen),
            received=len(seen),
        )

    def _first_decoded_sightings(self, page: DecodedPage, seen: Sightings, where: str) -> None:
        """:meth:`_first_sightings` on a decoded page (its records' keys are non-empty strings,
        and each record's bytes are what ``orjson.dumps`` gives, so the digests compare)."""
        digests = page.digests()
        if seen.all_new(page.keys, digests):
            return  # every record new to the window: the rule, recorded at once
        kept = []
        hashes, before = seen.page(page.keys)
        for i, (key, key_hash, earlier, digest) in enumerate(
            zip(page.keys, hashes, before, digests, strict=True)
        ):
            if self._first_sighting(key, key_hash, earlier, digest, seen, where):
                kept.append(i)
        if len(kept) != len(page.keys):
            page.keep(kept)

    def _complete_decoded(
        self,
        source: RawQuery,
        page: DecodedPage,
        start_ms: int,
        end_ms: int,
        comparator: str | None,
        where: str,
    ) -> None:
        """:meth:`_complete_record` for the activity lists of a decoded page that have further
        pages (a task's, an agentSession channel's), in the page's order: the first page's activities stand in
        by id, so merging, duplicates, totals, requests and errors are the dict path's; the
        activities the further pages add are kept on the page for its rows."""
        inner = source.inner
        assert inner is not None
        kept = set(page.indexes().tolist())
        for incomplete in page.incomplete:
            if incomplete.record not in kept:
                continue
            key = page.keys[incomplete.record]
            channel_id = incomplete.channel_id
            bound = self._bind(start_ms, end_ms, comparator, **{inner.key_variable: key})
            first = [{"id": node_id} for node_id in incomplete.ids]
            connection: dict[str, Any] = {
                "totalCount": incomplete.total,
                "nodes": first,
                "pageInfo": {"hasNextPage": True, "endCursor": incomplete.end_cursor},
            }
            if channel_id is None:  # a task's own activities
                more = partial(self._more_task, source, bound, where=where)
                what = _Lazy(
                    lambda key=key: (
                        f"{where}: activities of {inner.key_field} {redact(key, limit=80)}"
                    )
                )
            else:
                more = partial(self._more_channel, source, channel_id, bound, where=where)
                what = _Lazy(
                    lambda key=key, channel_id=channel_id: (
                        f"{where}: activities of {inner.key_field} "
                        f"{redact(key, limit=80)} channel {redact(channel_id, limit=80)}"
                    )
                )
            self._complete_activities(connection, more, what)
            page.add_more(incomplete, connection["nodes"][len(first) :])

    def _count(
        self, source: RawQuery, start_ms: int, end_ms: int, window: str, comparator: str | None
    ) -> int:
        where = f"{source.name} count of window {window}"
        result = self._post(
            source.count_query, self._bind(start_ms, end_ms, comparator), source.root, where
        )
        self.stats.count_queries += 1
        rows = result.get(source.list_field)
        if not isinstance(rows, list):
            raise MalformedResponse(
                f"{where}: the answer has no list at data.{source.root}.{source.list_field}"
            )
        if not rows:  # the API answers an empty window with no aggregation row at all
            return 0
        aggregation = rows[0].get("aggregation") if isinstance(rows[0], dict) else None
        if not isinstance(aggregation, list):
            raise MalformedResponse(f"{where}: the answer's first row has no aggregation list")
        # The API does not keep the requested order of aggregations: find ours by name.
        for item in aggregation:
            if isinstance(item, dict) and item.get("name") == COUNT_NAME:
                value = item.get("value")
                if value is None:
                    return 0
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or value < 0
                    or value != int(value)
                ):
                    raise MalformedResponse(
                        f"{where}: the count is {redact(repr(value), limit=40)}, not a whole number"
                    )
                return int(value)
        raise MalformedResponse(f"{where}: the answer has no aggregation named {COUNT_NAME!r}")

    # -- internals: activities ---------------------------------------------------------------

    def _complete_record(
        self,
        source: RawQuery,
        record: object,
        start_ms: int,
        end_ms: int,
        comparator: str | None,
        where: str,
    ) -> None:
        """Merge every further activity page into ``record`` (in place)."""
        inner = source.inner
        assert inner is not None
        if not isinstance(record, dict):
            raise MalformedResponse(f"{where}: a record is not an object")
        key = record.get(inner.key_field)
        if not isinstance(key, str) or not key:
            raise MalformedResponse(
                f"{where}: a record has no {inner.key_field} to page its activities by"
            )
        bound = self._bind(start_ms, end_ms, comparator, **{inner.key_variable: key})
        if not inner.channels:
            self._complete_activities(
                record.get("activities"),
                partial(self._more_task, source, bound, where=where),
                _Lazy(lambda: f"{where}: activities of {inner.key_field} {redact(key, limit=80)}"),
            )
            return
        channels = record.get("channelInfo")
        if channels is None:  # a session without channels has no activities to page
            return
        if not isinstance(channels, list):
            raise MalformedResponse(
                f"{where}: channelInfo of {inner.key_field} {redact(key, limit=80)} is not a list"
            )
        for channel in channels:
            channel_id = channel.get("channelId") if isinstance(channel, dict) else None
            if not isinstance(channel, dict) or not isinstance(channel_id, str):
                raise MalformedResponse(
                    f"{where}: a channelInfo entry of {inner.key_field} "
                    f"{redact(key, limit=80)} has no channelId"
                )
            self._complete_activities(
                channel.get("activities"),
                partial(self._more_channel, source, channel_id, bound, where=where),
                _Lazy(
                    lambda channel_id=channel_id: (
                        f"{where}: activities of {inner.key_field} "
                        f"{redact(key, limit=80)} channel {redact(channel_id, limit=80)}"
                    )
                ),
            )

    def _complete_activities(
        self, connection: object, more: Callable[[str], object], what: str | _Lazy
    ) -> None:
        """Page one activity connection to its end, deduplicated by id, and check its total."""
        if not isinstance(connection, dict):
            raise MalformedResponse(f"{what}: the answer has no activities object")
        total = connection.get("totalCount")
        if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
            raise MalformedResponse(
                f"{what}: totalCount is {redact(repr(total), limit=40)}, not a whole number"
            )
        merged: dict[str, Any] = {}
        first_page = self._add_nodes(merged, connection.get("nodes"), what)
        page_info = connection.get("pageInfo")
        sent: set[str] = set()
        fetched = False
        while self._inner_has_next(page_info, what):
            assert isinstance(page_info, dict)
            end_cursor = page_info.get("endCursor")
            if not isinstance(end_cursor, str) or not end_cursor:
                raise MalformedResponse(
                    f"{what}: pageInfo says hasNextPage but endCursor is "
                    f"{redact(repr(end_cursor), limit=40)}; cannot ask for the next page"
                )
            after = _next_after(end_cursor)
            if after in sent:
                raise MalformedResponse(
                    f"{what}: the API returned cursor {redact(repr(end_cursor), limit=40)} again "
                    f"after {len(sent) + 1} pages (over {INNER_PAGE_SIZE} activities in one "
                    "millisecond, or a cursor that does not move); stopping rather than looping"
                )
            sent.add(after)
            page = more(after)
            self.stats.activity_requests += 1
            fetched = True
            if not isinstance(page, dict):
                raise MalformedResponse(f"{what}: a further page has no activities object")
            self._add_nodes(merged, page.get("nodes"), what)
            page_info = page.get("pageInfo")
        if isinstance(total, int) and len(merged) != total:
            raise IncompleteWindow(
                f"{what}: {len(merged):,} activities arrived but totalCount is {total:,}; the "
                "API skipped or added activities while paging; reload the window",
                expected=total,
                received=len(merged),
            )
        if fetched or len(merged) != first_page:
            connection["nodes"] = list(merged.values())
        if fetched:
            connection["pageInfo"] = {"hasNextPage": False, "endCursor": None}
        self.stats.activities += len(merged)

    def _add_nodes(self, merged: dict[str, Any], nodes: object, what: str | _Lazy) -> int:
        """Add the nodes not yet in ``merged`` (by id); how many nodes the page held."""
        if not isinstance(nodes, list):
            raise MalformedResponse(f"{what}: the answer has no activities.nodes list")
        # Every record's activities pass here (tens per task): when each node is an object with
        # a non-empty string id seen nowhere before, which is the rule, they are added in C.
        if set(map(type, nodes)) <= _DICT_ONLY:
            ids = list(map(dict.get, nodes, repeat("id")))
            if (
                set(map(type, ids)) <= _STR_ONLY
                and "" not in ids
                and len(set(ids)) == len(ids)
                and merged.keys().isdisjoint(ids)
            ):
                merged.update(zip(ids, nodes, strict=True))
                return len(nodes)
        for node in nodes:
            node_id = node.get("id") if isinstance(node, dict) else None
            if not isinstance(node_id, str) or not node_id:
                raise MalformedResponse(f"{what}: an activity has no id")
            if node_id in merged:
                self.stats.duplicates += 1
                continue
            merged[node_id] = node
        return len(nodes)

    @staticmethod
    def _inner_has_next(page_info: object, what: str | _Lazy) -> bool:
        if not isinstance(page_info, dict):
            raise MalformedResponse(f"{what}: the answer has no activities.pageInfo object")
        has_next = page_info.get("hasNextPage")
        if not isinstance(has_next, bool):
            raise MalformedResponse(
                f"{what}: activities.pageInfo.hasNextPage is "
                f"{redact(repr(has_next), limit=40)}, not true or false"
            )
        return has_next

    def _more_record(
        self, source: RawQuery, variables: dict[str, Any], after: str, where: str
    ) -> tuple[dict[str, Any], str]:
        """The one record a ``*_more`` query answers, and how errors name it."""
        inner = source.inner
        assert inner is not None
        key = variables[inner.key_variable]
        what = f"{where}: further activities of {inner.key_field} {redact(key, limit=80)}"
        result = self._post(inner.more_query, {**variables, "after": after}, source.root, what)
        records = result.get(source.list_field)
        if not isinstance(records, list):
            raise MalformedResponse(
                f"{what}: the answer has no list at data.{source.root}.{source.list_field}"
            )
        matching = [r for r in records if isinstance(r, dict) and r.get(inner.key_field) == key]
        if len(matching) != 1:
            raise MalformedResponse(
                f"{what}: the answer holds {len(matching)} records with that "
                f"{inner.key_field}, not 1"
            )
        return matching[0], what

    def _more_task(
        self, source: RawQuery, variables: dict[str, Any], after: str, where: str
    ) -> object:
        record, _ = self._more_record(source, variables, after, where)
        return record.get("activities")

    def _more_channel(
        self, source: RawQuery, channel_id: str, variables: dict[str, Any], after: str, where: str
    ) -> object:
        record, what = self._more_record(source, variables, after, where)
        channels = record.get("channelInfo")
        if not isinstance(channels, list):
            raise MalformedResponse(f"{what}: the answer has no channelInfo list")
        for channel in channels:
            if isinstance(channel, dict) and channel.get("channelId") == channel_id:
                return channel.get("activities")
        raise MalformedResponse(f"{what}: the answer has no channel {redact(channel_id, limit=80)}")

    # -- internals: checks and transport -----------------------------------------------------

    def _check(self, source: RawQuery) -> None:
        if source in self._checked:
            return
        extra = {"timeComparator"} if source.comparator else set()
        needs = [
            (source.page_query, {"from", "to", "cursor"} | extra),
            (source.count_query, {"from", "to"} | extra),
        ]
        if source.inner is not None:
            needs.append(
                (
                    source.inner.more_query,
                    {"from", "to", "after", source.inner.key_variable} | extra,
                )
            )
        for name, needed in needs:
            try:
                text = queries.graphql(name)
            except KeyError:
                raise ConfigError(f"no GraphQL query file named {name!r}") from None
            missing = needed - _variables(text, name)
            if missing:
                raise ConfigError(
                    f"GraphQL query {name!r} lacks the variables {sorted(missing)} the client binds"
                )
            self._texts[name] = text
        self._checked.add(source)

    @staticmethod
    def _time_field(source: RawQuery, time_field: str | None) -> str | None:
        """The ``timeComparator`` to send: None for the surface's own field."""
        if time_field is None or time_field == source.time_field:
            return None
        if source.comparator and time_field in (CREATED_TIME, ENDED_TIME):
            return time_field
        allowed = (
            f"{CREATED_TIME} or {ENDED_TIME}" if source.comparator else f"only {source.time_field}"
        )
        raise ConfigError(
            f"{source.name} windows cannot select on {time_field!r}: the Search API offers "
            f"{allowed} for it"
        )

    @staticmethod
    def _describe(start_ms: int, end_ms: int, comparator: str | None) -> str:
        window = describe_window(start_ms, end_ms)
        return f"{window} by {comparator}" if comparator else window

    def _check_bounds(self, source: RawQuery, start_ms: int, end_ms: int) -> None:
        for value in (start_ms, end_ms):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(
                    f"{source.name} window bounds must be epoch milliseconds as int, "
                    f"got {type(value).__name__}"
                )
        if end_ms <= start_ms:
            raise ConfigError(
                f"{source.name} window {describe_window(start_ms, end_ms)} is empty or inverted"
            )
        self._check(source)

    def _check_window(
        self, source: RawQuery, start_ms: int, end_ms: int, comparator: str | None
    ) -> str:
        self._check_bounds(source, start_ms, end_ms)
        window = self._describe(start_ms, end_ms, comparator)
        if end_ms - start_ms > source.max_span_ms:
            days = (end_ms - start_ms) / DAY_MS
            what = " with activities" if source.inner is not None else ""
            raise SpanTooLong(
                f"{source.name} window {window} spans {days:.1f} days, more than the Search "
                f"API's {source.max_span_ms // DAY_MS}{what}; split it into shorter windows "
                "(window_pages does)"
            )
        return window

    @staticmethod
    def _bind(start_ms: int, end_ms: int, comparator: str | None, **more: Any) -> dict[str, Any]:
        variables: dict[str, Any] = {"from": start_ms, "to": end_ms, **more}
        if comparator is not None:
            variables["timeComparator"] = comparator
        return variables

    def _post(
        self, query_name: str, variables: dict[str, Any], root: str, where: str
    ) -> dict[str, Any]:
        return self._parse(self._request(query_name, variables, where), root, where)

    def _request(self, query_name: str, variables: dict[str, Any], where: str) -> httpx.Response:
        return self._http.request(
            "POST",
            SEARCH_PATH,
            json={"query": self._texts[query_name], "variables": variables},
            params=self._params,
            context=where,
        )

    @staticmethod
    def _parse(response: httpx.Response, root: str, where: str) -> dict[str, Any]:
        try:
            payload = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            start = response.content[:80].decode("utf-8", "replace")
            raise MalformedResponse(
                f"{where}: HTTP {response.status_code} with a body that is not JSON "
                f"(content-type {response.headers.get('content-type', 'none')!r}, "
                f"starting {redact(start, limit=80)!r})"
            ) from None
        if not isinstance(payload, dict):
            raise MalformedResponse(f"{where}: the answer is not a JSON object")
        errors = payload.get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) else errors
            message = first.get("message") if isinstance(first, dict) else first
            more = (
                f" (and {len(errors) - 1} more)"
                if isinstance(errors, list) and len(errors) > 1
                else ""
            )
            raise MalformedResponse(
                f"{where}: the Search API answered with GraphQL errors: "
                f"{redact(message, limit=200)}{more}"
            )
        data = payload.get("data")
        if not isinstance(data, dict):
            raise MalformedResponse(f"{where}: the answer has no data object")
        result = data.get(root)
        if not isinstance(result, dict):
            raise MalformedResponse(f"{where}: the answer has no data.{root} object")
        return result
