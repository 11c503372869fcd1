"""Client for the WxCC reporting REST APIs: pages of records of one window, ready to normalize.

Per window ``[start_ms, end_ms)`` inside one UTC day, one generator per warehouse table:

- :meth:`ReportingClient.tasks_pages` (``GET /v1/tasks``): the API has no paging parameter or
  metadata; answers are ascending by ``createdTime``, at most ``pageSize`` tasks. A full page
  asks again from the last ``createdTime`` (inclusive) and drops the ids already seen at that
  instant, so ties across a page boundary are neither lost nor repeated.
- :meth:`ReportingClient.queue_statistics_pages` / :meth:`agent_statistics_pages`
  (``GET /v1/queues/statistics``, ``/v1/agents/statistics``): ``from``/``to`` must lie on
  15-minute boundaries (the API rounds them down) and span less than 24 hours, so a day goes in
  pieces of at most 12 hours; at most 100 queue or agent ids per request. An agent's row is cut
  into one record per channel (the agent's fields copied on each).
- :meth:`ReportingClient.agent_activities_pages` (``GET /v1/agents/activities``): pieces under
  24 hours, paged with ``page``/``pageSize``; the API serves at most 10,000 records of one
  ``from``/``to`` and then stops as if complete, so each piece is first probed for a
  10,000th record (``page=9999&pageSize=1``) and, when one exists, halved by time until every
  piece fits: no record is lost.
- :meth:`ReportingClient.capture_pages` (``POST /v1/captures/query``): recordings of given tasks,
  10 task ids per request, one record per recording with the task's ``createdTime``
  (``taskCreatedTime``) and ``urlExpiresAt``: when the pre-signed ``filePath`` stops working
  (the time the request was sent plus ``meta.urlExpiration`` minutes, less a minute for clock
  differences: never later than the service's own expiry). :meth:`window_capture_pages` finds the window's tasks that requested
  capture first.

Errors are the typed ones of :mod:`pipelines.sources.errors`; an answer without a ``data`` list
of objects is :class:`MalformedResponse`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from pipelines.sources.errors import (
    ConfigError,
    IncompleteWindow,
    MalformedResponse,
    WindowTooLarge,
    describe_window,
    redact,
)
from pipelines.sources.http import RequestStats, WxccHttp

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
INTERVAL_MS = 15 * 60_000
PIECE_MS = 12 * 3_600_000  # statistics and activities: "less than 24 hours" per request
ACTIVITY_CAP = 10_000
MAX_PAGE_SIZE = 1000
MAX_IDS = 100
CAPTURE_BATCH = 10
MAX_URL_EXPIRATION_MIN = 60
# urlExpiresAt is this much earlier than the request time plus urlExpiration: the service's
# clock, and when it started the URL's life, may differ a little from ours.
URL_EXPIRY_MARGIN_MS = 60_000

TASKS_PATH = "/v1/tasks"
QUEUE_STATISTICS_PATH = "/v1/queues/statistics"
AGENT_STATISTICS_PATH = "/v1/agents/statistics"
AGENT_ACTIVITIES_PATH = "/v1/agents/activities"
CAPTURES_PATH = "/v1/captures/query"

Record = dict[str, Any]
Page = list[Record]


@dataclass
class ReportingStats:
    """Counters of one client; ``as_dict()`` suits Dagster metadata."""

    pages: int = 0
    records: int = 0
    pieces: int = 0  # requests windows the day was cut into
    splits: int = 0  # activity pieces halved because they reached the 10,000-record cap
    http: RequestStats = field(default_factory=RequestStats)

    def as_dict(self) -> dict[str, int | float]:
        out: dict[str, int | float] = {
            "pages": self.pages,
            "records": self.records,
            "pieces": self.pieces,
            "splits": self.splits,
        }
        out.update({f"http_{k}": v for k, v in asdict(self.http).items()})
        return out


def day_pieces(start_ms: int, end_ms: int, piece_ms: int = PIECE_MS) -> list[tuple[int, int]]:
    """``[start_ms, end_ms)`` cut into consecutive pieces of at most ``piece_ms``."""
    out = []
    lo = start_ms
    while lo < end_ms:
        hi = min(end_ms, lo + piece_ms)
        out.append((lo, hi))
        lo = hi
    return out


def _chunks(ids: Sequence[str] | None, size: int) -> list[list[str] | None]:
    if ids is None:
        return [None]
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)] or []


class CreatedTimePaginator:
    """Paging of ``GET /v1/tasks`` by moving ``from`` to the last ``createdTime`` of a full page.

    ``update()`` takes a page and returns its records not seen before; ``has_next`` is False
    after a short page. A full page that brings nothing new (more tasks at one instant than a
    page holds) is an error rather than a loop.
    """

    def __init__(self, start_ms: int, page_size: int) -> None:
        self.from_ms = start_ms
        self.page_size = page_size
        self.pages = 0
        self._has_next = True
        self._seen_at_from: set[str] = set()

    @property
    def has_next(self) -> bool:
        return self._has_next

    def update(self, records: Page, *, where: str) -> Page:
        self.pages += 1
        fresh = []
        last = self.from_ms
        for r in records:
            created = _attr(r, "createdTime", where)
            if not isinstance(created, int) or created < self.from_ms:
                raise MalformedResponse(
                    f"{where}: task createdTime {redact(repr(created), limit=40)} is not an "
                    "epoch-ms instant at or after 'from'"
                )
            if created < last:
                raise MalformedResponse(f"{where}: tasks are not ascending by createdTime")
            last = created
            if created == self.from_ms and r.get("id") in self._seen_at_from:
                continue
            fresh.append(r)
        if len(records) < self.page_size:
            self._has_next = False
            return fresh
        if not fresh:
            raise MalformedResponse(
                f"{where}: a full page brought no new task (more than {self.page_size} tasks "
                "created at one instant?); stopping rather than looping"
            )
        if last != self.from_ms:
            self._seen_at_from = set()
        self.from_ms = last
        self._seen_at_from.update(
            r["id"] for r in records if _attr(r, "createdTime", where) == last
        )
        return fresh


def _attr(record: Record, name: str, where: str) -> Any:
    attributes = record.get("attributes")
    if not isinstance(attributes, dict):
        raise MalformedResponse(f"{where}: a task has no attributes object")
    return attributes.get(name)


class ReportingClient:
    """Records of the reporting REST APIs, one window at a time.

    ``http`` is a :class:`WxccHttp` on the API base URL with a token provider; the client does
    not close it unless asked (:meth:`close`). ``org_id`` is sent as ``orgId`` when given.
    ``interval`` is the statistics interval in minutes (15, 30 or 60); the warehouse keeps 15.
    """

    def __init__(
        self,
        http: WxccHttp,
        *,
        org_id: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        interval: int = 15,
        url_expiration_min: int = MAX_URL_EXPIRATION_MIN,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"page_size must lie in 1..{MAX_PAGE_SIZE}, not {page_size}")
        if interval not in (15, 30, 60):
            raise ConfigError(f"interval must be 15, 30 or 60 minutes, not {interval}")
        if not 1 <= url_expiration_min <= MAX_URL_EXPIRATION_MIN:
            raise ConfigError(
                f"url_expiration_min must lie in 1..{MAX_URL_EXPIRATION_MIN}, "
                f"not {url_expiration_min}"
            )
        self._http = http
        self.org_id = org_id
        self.page_size = page_size
        self.interval = interval
        self.url_expiration_min = url_expiration_min
        self.stats = ReportingStats(http=http.stats)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ReportingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- tasks ---------------------------------------------------------------------------------

    def tasks_pages(
        self, start_ms: int, end_ms: int, channel_types: Sequence[str] | None = None
    ) -> Iterator[Page]:
        """Pages of ``GET /v1/tasks`` records (``{id, attributes}``) created in the window."""
        self._check_window(start_ms, end_ms)
        paginator = CreatedTimePaginator(start_ms, self.page_size)
        self.stats.pieces += 1
        while paginator.has_next:
            params: dict[str, Any] = {
                "from": paginator.from_ms,
                "to": end_ms,
                "pageSize": self.page_size,
            }
            if channel_types:
                params["channelTypes"] = ",".join(channel_types)
            where = (
                f"tasks page {paginator.pages + 1} of {describe_window(paginator.from_ms, end_ms)}"
            )
            page = paginator.update(self._get(TASKS_PATH, params, where), where=where)
            for r in page:
                if not isinstance(r.get("id"), str):
                    raise MalformedResponse(f"{where}: a task has no id")
            yield from self._counted(page)

    # -- statistics ----------------------------------------------------------------------------

    def queue_statistics_pages(
        self, start_ms: int, end_ms: int, queue_ids: Sequence[str] | None = None
    ) -> Iterator[Page]:
        """Pages of queue statistics rows for the intervals starting in the window."""
        for lo, hi in self._statistics_pieces(start_ms, end_ms):
            for ids in _chunks(queue_ids, MAX_IDS):
                params = self._statistics_params(lo, hi, "queueIds", ids)
                where = f"queue statistics of {describe_window(lo, hi)}"
                yield from self._counted(self._get(QUEUE_STATISTICS_PATH, params, where))

    def agent_statistics_pages(
        self, start_ms: int, end_ms: int, agent_ids: Sequence[str] | None = None
    ) -> Iterator[Page]:
        """Pages of agent statistics, one record per agent, interval and channel."""
        for lo, hi in self._statistics_pieces(start_ms, end_ms):
            for ids in _chunks(agent_ids, MAX_IDS):
                params = self._statistics_params(lo, hi, "agentIds", ids)
                where = f"agent statistics of {describe_window(lo, hi)}"
                rows = []
                for agent in self._get(AGENT_STATISTICS_PATH, params, where):
                    channels = agent.get("channels")
                    if not isinstance(channels, list) or not all(
                        isinstance(c, dict) for c in channels
                    ):
                        raise MalformedResponse(f"{where}: an agent row has no channels list")
                    base = {k: v for k, v in agent.items() if k != "channels"}
                    rows += [{**base, **c} for c in channels]
                yield from self._counted(rows)

    def _statistics_pieces(self, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        self._check_window(start_ms, end_ms)
        if start_ms % INTERVAL_MS or end_ms % INTERVAL_MS:
            raise ConfigError(
                f"statistics windows must start and end on 15-minute boundaries (the API rounds "
                f"from/to down); got {describe_window(start_ms, end_ms)}"
            )
        pieces = day_pieces(start_ms, end_ms)
        self.stats.pieces += len(pieces)
        return pieces

    def _statistics_params(
        self, lo: int, hi: int, ids_name: str, ids: list[str] | None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"from": lo, "to": hi, "interval": self.interval}
        if ids is not None:
            params[ids_name] = ",".join(ids)
        return params

    # -- agent activities ----------------------------------------------------------------------

    def agent_activities_pages(self, start_ms: int, end_ms: int) -> Iterator[Page]:
        """Pages of agent activities started in the window, every record of it."""
        self._check_window(start_ms, end_ms)
        for lo, hi in day_pieces(start_ms, end_ms):
            yield from self._activity_piece(lo, hi)

    def _activity_piece(self, lo: int, hi: int) -> Iterator[Page]:
        where = f"agent activities of {describe_window(lo, hi)}"
        probe = {"from": lo, "to": hi, "page": ACTIVITY_CAP - 1, "pageSize": 1}
        if self._get(AGENT_ACTIVITIES_PATH, probe, f"{where} (cap probe)"):
            # 10,000 or more: the API would stop at 10,000 as if complete.
            if hi - lo < 2:
                raise WindowTooLarge(
                    f"{where}: 10,000 or more agent activities start in one millisecond; the "
                    "API cannot serve them all",
                    count=ACTIVITY_CAP,
                    cap=ACTIVITY_CAP,
                )
            mid = lo + (hi - lo) // 2
            self.stats.splits += 1
            log.info("%s reaches the 10,000-record cap; halving it", where)
            yield from self._activity_piece(lo, mid)
            yield from self._activity_piece(mid, hi)
            return
        self.stats.pieces += 1
        received = 0
        page = 0
        while True:
            params = {"from": lo, "to": hi, "page": page, "pageSize": self.page_size}
            records = self._get(AGENT_ACTIVITIES_PATH, params, f"{where} page {page + 1}")
            received += len(records)
            if records:
                yield from self._counted(records)
            if len(records) < self.page_size:
                break
            page += 1
            if page * self.page_size >= ACTIVITY_CAP:
                raise IncompleteWindow(
                    f"{where}: pages reached the 10,000-record cap although the probe found "
                    "fewer; the window changed while it was read, run it again",
                    expected=ACTIVITY_CAP - 1,
                    received=received,
                )

    # -- captures ------------------------------------------------------------------------------

    def capture_pages(self, tasks: Iterable[tuple[str, int]]) -> Iterator[Page]:
        """Recordings of ``tasks`` (``(task id, createdTime ms)``), 10 task ids a request: one
        page per request, one record per recording (a task without any gives none)."""
        batch: dict[str, int] = {}
        for task_id, created in tasks:
            batch[task_id] = created
            if len(batch) == CAPTURE_BATCH:
                yield self._captures(batch)
                batch = {}
        if batch:
            yield self._captures(batch)

    def capture_tasks(self, start_ms: int, end_ms: int) -> Iterator[tuple[str, int]]:
        """``(task id, createdTime ms)`` of the window's tasks that requested capture."""
        for page in self.tasks_pages(start_ms, end_ms):
            for r in page:
                attributes = r["attributes"]
                if attributes.get("captureRequested"):
                    yield r["id"], attributes["createdTime"]

    def window_capture_pages(self, start_ms: int, end_ms: int) -> Iterator[Page]:
        """Recordings of the window's tasks that requested capture."""
        return self.capture_pages(self.capture_tasks(start_ms, end_ms))

    def _captures(self, tasks: dict[str, int]) -> Page:
        where = f"captures of {len(tasks)} tasks"
        query: dict[str, Any] = {
            "taskIds": list(tasks),
            "urlExpiration": self.url_expiration_min,
            "includeSegments": False,
            "includeVARecordings": False,
        }
        if self.org_id:
            query["orgId"] = self.org_id
        sent_ms = int(self._http.clock.now() * 1000)
        body = self._call("POST", CAPTURES_PATH, where, json={"query": query})
        meta = body.get("meta")
        minutes = meta.get("urlExpiration") if isinstance(meta, dict) else None
        if not isinstance(minutes, int) or minutes <= 0:
            minutes = self.url_expiration_min
        expires_ms = sent_ms + min(minutes, self.url_expiration_min) * 60_000 - URL_EXPIRY_MARGIN_MS
        answered: set[str] = set()
        rows: Page = []
        for item in self._data(body, where):
            task_id = item.get("taskId")
            recordings = item.get("recording")
            if task_id not in tasks or not isinstance(recordings, list):
                raise MalformedResponse(
                    f"{where}: an entry names task {redact(repr(task_id), limit=60)} or has no "
                    "recording list"
                )
            answered.add(task_id)
            for rec in recordings:
                if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
                    raise MalformedResponse(f"{where}: a recording of a task has no id")
                rows.append(
                    {
                        "taskId": task_id,
                        "taskCreatedTime": tasks[task_id],
                        **rec,
                        "urlExpiresAt": expires_ms,
                    }
                )
        if answered != set(tasks):
            raise MalformedResponse(
                f"{where}: the answer left out {len(set(tasks) - answered)} of the task ids asked"
            )
        self.stats.pages += 1
        self.stats.records += len(rows)
        return rows

    # -- transport -----------------------------------------------------------------------------

    def _counted(self, page: Page) -> Iterator[Page]:
        self.stats.pages += 1
        self.stats.records += len(page)
        yield page

    def _get(self, path: str, params: dict[str, Any], where: str) -> Page:
        return self._data(self._call("GET", path, where, params=params), where)

    def _call(
        self,
        method: str,
        path: str,
        where: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        params = dict(params or {})
        if self.org_id:
            params["orgId"] = self.org_id
        response = self._http.request(method, path, params=params or None, json=json, context=where)
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            start = response.content[:80].decode("utf-8", "replace")
            raise MalformedResponse(
                f"{where}: HTTP {response.status_code} with a body that is not JSON "
                f"(starting {redact(start, limit=80)!r})"
            ) from None
        if not isinstance(body, dict):
            raise MalformedResponse(f"{where}: the answer is not a JSON object")
        return body

    @staticmethod
    def _data(body: dict[str, Any], where: str) -> Page:
        data = body.get("data")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise MalformedResponse(f"{where}: the answer has no data list of objects")
        return data

    @staticmethod
    def _check_window(start_ms: int, end_ms: int) -> None:
        if start_ms >= end_ms:
            raise ConfigError(f"empty window {describe_window(start_ms, end_ms)}")
        if end_ms > (start_ms // DAY_MS + 1) * DAY_MS:
            raise ConfigError(
                f"window {describe_window(start_ms, end_ms)} crosses a UTC midnight; "
                "load reporting windows one UTC day at a time"
            )
