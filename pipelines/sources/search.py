"""Client for the WxCC Search API (``POST /search``, GraphQL): raw records of a window, page by page.

Per window ``[start_ms, end_ms)``:

1. refuse a span over 365 days before any request (the API's limit);
2. ask the window's record count with one aggregation query;
3. refuse a count over the raw-paging cap (100,000 records for taskDetails and taskLegDetails):
   past it the API stops paging as if the window were complete, so such a window can only be
   loaded in smaller pieces;
4. page the raw records with the cursor, yielding each page's list as it arrives;
5. check that the pages held exactly the counted records, so silent truncation cannot pass.

Queries are files (``queries/graphql/<name>.graphql``), window and cursor bound as variables.
Answers are decoded with orjson straight from the bytes and checked on every page: GraphQL
``errors``, the result list, ``pageInfo``. gql's ``Client.execute`` is not used on this path: it
decodes with the json module and builds objects the pipeline does not need.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import orjson

import queries
from pipelines.sources.errors import (
    ConfigError,
    IncompleteWindow,
    MalformedResponse,
    SpanTooLong,
    WindowTooLarge,
    describe_window,
    redact,
)
from pipelines.sources.http import RequestStats, WxccHttp
from pipelines.sources.paging import FIRST_CURSOR, CursorPaginator

log = logging.getLogger(__name__)

SEARCH_PATH = "/search"
MAX_SPAN_MS = 365 * 86_400_000
RAW_PAGE_CAP = 100_000
COUNT_NAME = "count"  # the aggregation's name in the *_count queries


@dataclass(frozen=True)
class RawQuery:
    """One raw record type of the Search API, described as data.

    ``page_query`` binds ``$from``, ``$to`` and ``$cursor``; ``count_query`` binds ``$from`` and
    ``$to`` and asks one aggregation named ``count``. Records are at ``data.<root>.<list_field>``.
    ``capped``: raw paging stops at the client's ``page_cap`` (taskDetails, taskLegDetails).
    """

    page_query: str
    count_query: str
    root: str
    list_field: str
    capped: bool = True


TASK_DETAILS = RawQuery("task_details", "task_details_count", "taskDetails", "tasks")


@dataclass
class SearchStats:
    """Counters of one :class:`SearchClient`; requests and retries come from its transport."""

    http: RequestStats = field(repr=False)
    windows: int = 0
    count_queries: int = 0
    pages: int = 0
    records: int = 0

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
        """Flat counters for Dagster metadata."""
        return {
            "windows": self.windows,
            "count_queries": self.count_queries,
            "pages": self.pages,
            "records": self.records,
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


class SearchClient:
    """Raw records of the Search API, one window at a time.

    ``http`` is a :class:`WxccHttp` on the API base URL with a token provider; the client does not
    close it. ``org_id`` is sent as ``?orgId=`` (the API infers it from the token when absent).
    """

    def __init__(
        self,
        http: WxccHttp,
        *,
        org_id: str | None = None,
        page_cap: int = RAW_PAGE_CAP,
        sources: Iterable[RawQuery] = (TASK_DETAILS,),
    ) -> None:
        self._http = http
        self.org_id = org_id
        self.page_cap = page_cap
        self._params = {"orgId": org_id} if org_id else None
        self._texts: dict[str, str] = {}
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

    def task_details_pages(self, start_ms: int, end_ms: int) -> Iterator[list[dict[str, Any]]]:
        """CSR records created in ``[start_ms, end_ms)``, one list per page (see :meth:`pages`)."""
        return self.pages(TASK_DETAILS, start_ms, end_ms)

    def task_details_count(self, start_ms: int, end_ms: int) -> int:
        """How many CSR records were created in ``[start_ms, end_ms)``."""
        return self.count(TASK_DETAILS, start_ms, end_ms)

    # -- any raw record type -----------------------------------------------------------------

    def pages(self, source: RawQuery, start_ms: int, end_ms: int) -> Iterator[list[dict[str, Any]]]:
        """Every record of the window, one non-empty list per page, as pages arrive.

        The window's bounds and span are checked at once; the count is asked on the first
        ``next()`` and the total checked after the last page. A caller that stops early gets no
        completeness check.

        Raises:
            SpanTooLong: the window is longer than 365 days (no request made).
            WindowTooLarge: the count is over the raw-paging cap (no page requested).
            MalformedResponse: a page cannot be trusted (GraphQL errors, missing keys, a cursor
                that would loop).
            IncompleteWindow: the pages held more or fewer records than the count.
        """
        window = self._check_window(source, start_ms, end_ms)
        return self._pages(source, start_ms, end_ms, window)

    def _pages(
        self, source: RawQuery, start_ms: int, end_ms: int, window: str
    ) -> Iterator[list[dict[str, Any]]]:
        expected = self.count(source, start_ms, end_ms)
        cap = self.page_cap if source.capped else None
        if cap is not None and expected > cap:
            raise WindowTooLarge(
                f"{source.root} window {window} holds {expected:,} records, over the Search "
                f"API's {cap:,}-record cap for raw paging; load it in smaller windows",
                count=expected,
                cap=cap,
            )
        self.stats.windows += 1
        paginator = CursorPaginator(FIRST_CURSOR)
        received = 0
        while paginator.has_next:
            where = f"{source.root} page {paginator.pages + 1} of window {window}"
            result = self._post(
                source.page_query,
                {"from": start_ms, "to": end_ms, "cursor": paginator.cursor},
                source.root,
                where,
            )
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
                f"{source.root} window {window}: the pages held {received:,} records but the "
                f"window's count is {expected:,}; {why} or records changed while paging; "
                "reload the window",
                expected=expected,
                received=received,
            )
        log.info(
            "%s window %s: %d records in %d pages", source.root, window, received, paginator.pages
        )

    def count(self, source: RawQuery, start_ms: int, end_ms: int) -> int:
        """The window's record count, from one aggregation query."""
        window = self._check_window(source, start_ms, end_ms)
        where = f"{source.root} count of window {window}"
        result = self._post(
            source.count_query, {"from": start_ms, "to": end_ms}, source.root, where
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

    # -- internals ---------------------------------------------------------------------------

    def _check(self, source: RawQuery) -> None:
        if source.page_query in self._texts and source.count_query in self._texts:
            return
        for name, needed in (
            (source.page_query, {"from", "to", "cursor"}),
            (source.count_query, {"from", "to"}),
        ):
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

    def _check_window(self, source: RawQuery, start_ms: int, end_ms: int) -> str:
        for value in (start_ms, end_ms):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(
                    f"{source.root} window bounds must be epoch milliseconds as int, "
                    f"got {type(value).__name__}"
                )
        window = describe_window(start_ms, end_ms)
        if end_ms <= start_ms:
            raise ConfigError(f"{source.root} window {window} is empty or inverted")
        if end_ms - start_ms > MAX_SPAN_MS:
            days = (end_ms - start_ms) / 86_400_000
            raise SpanTooLong(
                f"{source.root} window {window} spans {days:.1f} days, more than the Search "
                "API's 365; split it into shorter windows"
            )
        self._check(source)
        return window

    def _post(
        self, query_name: str, variables: dict[str, Any], root: str, where: str
    ) -> dict[str, Any]:
        response = self._http.request(
            "POST",
            SEARCH_PATH,
            json={"query": self._texts[query_name], "variables": variables},
            params=self._params,
            context=where,
        )
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
