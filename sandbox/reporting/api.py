"""The reporting REST routes: ``GET /v1/tasks``, ``GET /v1/queues/statistics``,
``GET /v1/agents/statistics``, ``GET /v1/agents/activities``, ``POST /v1/captures/query``, and the
pre-signed recording files the captures point at.

Every API route goes through ``SandboxApp.gate`` (bearer token, org, the shared rate budget,
latency, injected faults) and answers errors in the WxCC REST error body with a ``trackingId``.
The recording files stand for S3 objects: no bearer token and no rate budget, only the URL's
signature and expiry (checked against the sandbox's wall clock, so a URL really expires).

Options (``create_app(options={...})``):

- ``reporting.capture_retention_days`` (default 30): days a task's recordings are kept;
- ``reporting.queue_statistics_skew`` (tests only, default none): ``{(queue id, 15-minute cell
  start ms): {"offered" | "abandoned" | ...: delta}}`` added to the queue statistics, so they
  disagree with the tasks.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.auth import Principal
from sandbox.entities import CHANNELS
from sandbox.errors import JSON, error_response, tracking_id_of
from sandbox.reporting import model
from sandbox.reporting.model import DEFAULT_CAPTURE_RETENTION_DAYS, INTERVAL_MS

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
ACTIVITY_RECORD_CAP = 10_000
MAX_IDS = 100
MAX_CAPTURE_TASKS = 10
MAX_URL_EXPIRATION_MIN = 60
DEFAULT_URL_EXPIRATION_MIN = 30
INTERVALS = (15, 30, 60)
_PROFILE = {"telephony": "exclusive"}  # voice agents; digital agents are "blended"
_FILE_NAME = re.compile(r"^[0-9a-f-]+_\d+\.wav$")


Handler = Callable[[Request, str, Principal], Awaitable[Response]]


class _Invalid(Exception):
    """A request parameter the service refuses (400)."""


class _Reporting:
    """State of the family inside one app: the capture index, URL signing key, a few answers."""

    def __init__(self, app: Any) -> None:
        self.app = app
        tenant = app.tenant
        self.tenant = tenant
        ents = tenant.entities
        self.teams = {t.id: t for t in ents.teams}
        self.sites = {s.id: s for s in ents.sites}
        retention = int(app.options.get("reporting.capture_retention_days", 0) or 0)
        self.capture_index = model.CaptureIndex(tenant, retention or DEFAULT_CAPTURE_RETENTION_DAYS)
        self.key = secrets.token_bytes(32)
        self._activities: OrderedDict[tuple[int, int, int], list[model.ActivityView]] = (
            OrderedDict()
        )

    # -- helpers -------------------------------------------------------------------------------

    async def _guarded(self, request: Request, handler: Handler) -> Response:
        tracking_id = tracking_id_of(request)
        gate = await self.app.gate(request, tracking_id)
        if isinstance(gate, Response):
            return gate
        try:
            return await handler(request, tracking_id, gate)
        except _Invalid as exc:
            return error_response(400, f"Validation Error: {exc}", tracking_id)
        except Exception:  # a sandbox bug must still look like the service's 500
            log.exception("reporting request failed (trackingId %s)", tracking_id)
            return error_response(500, "Internal Server Error.", tracking_id)

    def _ok(self, body: dict[str, Any], tracking_id: str) -> Response:
        return Response(orjson.dumps(body), media_type=JSON, headers={"TrackingId": tracking_id})

    def activity_list(self, from_ms: int, to_ms: int, now_ms: int) -> list[model.ActivityView]:
        """The window's activities, kept for the next pages of the same window."""
        key = (from_ms, to_ms, now_ms)
        found = self._activities.get(key)
        if found is None:
            found = model.activities(self.tenant, from_ms, to_ms, now_ms)
            self._activities[key] = found
            while len(self._activities) > 4:
                self._activities.popitem(last=False)
        else:
            self._activities.move_to_end(key)
        return found

    def sign(self, task_id: str, file_name: str, expires_s: int) -> str:
        text = f"{task_id}/{file_name}/{expires_s}".encode()
        return hmac.new(self.key, text, hashlib.sha256).hexdigest()

    # -- GET /v1/tasks -------------------------------------------------------------------------

    async def tasks(self, request: Request) -> Response:
        return await self._guarded(request, self._tasks)

    async def _tasks(self, request: Request, tracking_id: str, _principal: Principal) -> Response:
        q = request.query_params
        now = self.app.now_ms()
        from_ms = _required_int(q, "from")
        to_ms = _int(q, "to")
        if to_ms is None:
            to_ms = now  # "queries up to the present if not specified"
        if to_ms < from_ms:
            raise _Invalid("'to' must not be before 'from'.")
        page_size = _page_size(q)
        channels = _channels(q)
        data = []
        for task in model.tasks(self.tenant, from_ms, to_ms, now):
            if channels is not None and task.channel_type not in channels:
                continue
            data.append({"id": task.id, "attributes": _task_attributes(task)})
            if len(data) == page_size:
                break
        return self._ok({"meta": {"orgId": self.app.org_id}, "data": data}, tracking_id)

    # -- statistics ----------------------------------------------------------------------------

    async def queue_statistics(self, request: Request) -> Response:
        return await self._guarded(request, self._queue_statistics)

    async def _queue_statistics(
        self, request: Request, tracking_id: str, _principal: Principal
    ) -> Response:
        q = request.query_params
        from_ms, to_ms, interval = _statistics_window(q)
        queue_ids = _ids(q, "queueIds")
        skew = self.app.options.get("reporting.queue_statistics_skew")
        rows = model.queue_statistics(
            self.tenant,
            from_ms,
            to_ms,
            self.app.now_ms(),
            interval_min=interval,
            queue_ids=queue_ids,
            skew=skew,
        )
        data = [
            {
                "intervalStartTime": r.interval_start_time,
                "queueId": r.queue_id,
                "queueName": r.queue_name,
                "channelType": r.channel_type,
                "totalOfferedTasks": r.total_offered_tasks,
                "totalEnqueuedTasks": r.total_enqueued_tasks,
                "totalAssignedTasks": r.total_assigned_tasks,
                "totalAcceptedTasks": r.total_accepted_tasks,
                "totalRejectedTasks": r.total_rejected_tasks,
                "totalAbandonedTasks": r.total_abandoned_tasks,
                "averageEnqueuedTime": r.average_enqueued_time,
                "averageHandledTime": r.average_handled_time,
                "serviceLevelThresholdPercentage": r.service_level_threshold_percentage,
            }
            for r in rows
        ]
        return self._ok({"meta": {"orgId": self.app.org_id}, "data": data}, tracking_id)

    async def agent_statistics(self, request: Request) -> Response:
        return await self._guarded(request, self._agent_statistics)

    async def _agent_statistics(
        self, request: Request, tracking_id: str, _principal: Principal
    ) -> Response:
        q = request.query_params
        from_ms, to_ms, interval = _statistics_window(q)
        agent_ids = _ids(q, "agentIds")
        rows = model.agent_statistics(
            self.tenant,
            from_ms,
            to_ms,
            self.app.now_ms(),
            interval_min=interval,
            agent_ids=agent_ids,
        )
        data = [
            {
                "intervalStartTime": r.interval_start_time,
                "agentId": r.agent_id,
                "agentName": r.agent_name,
                "teamId": r.team_id,
                "teamName": r.team_name,
                "channels": [
                    {
                        "channelType": c.channel_type,
                        "totalAssignedTasks": c.total_assigned_tasks,
                        "totalOfferedTasks": c.total_offered_tasks,
                        "totalAcceptedTasks": c.total_accepted_tasks,
                        "totalRejectedTasks": c.total_rejected_tasks,
                        "totalTransferredTasks": c.total_transferred_tasks,
                        "totalEngagedDuration": c.total_engaged_duration,
                        "totalHoldDuration": c.total_hold_duration,
                        "totalWrapUpDuration": c.total_wrap_up_duration,
                        "totalAvailableTime": c.total_available_time,
                        "totalUnAvailableTime": c.total_un_available_time,
                        "averageHandledTime": c.average_handled_time,
                    }
                    for c in r.channels
                ],
            }
            for r in rows
        ]
        return self._ok({"meta": {"orgId": self.app.org_id}, "data": data}, tracking_id)

    # -- GET /v1/agents/activities -------------------------------------------------------------

    async def agent_activities(self, request: Request) -> Response:
        return await self._guarded(request, self._agent_activities)

    async def _agent_activities(
        self, request: Request, tracking_id: str, _principal: Principal
    ) -> Response:
        q = request.query_params
        now = self.app.now_ms()
        from_ms = _required_int(q, "from")
        to_ms = _int(q, "to")
        if to_ms is None:
            to_ms = now
        if to_ms <= from_ms:
            raise _Invalid("'to' must be after 'from'.")
        if to_ms - from_ms >= DAY_MS:
            raise _Invalid("The difference between to and from time must be less than 24 hours.")
        page_size = _page_size(q)
        page = _int(q, "page")
        page = 0 if page is None else page
        if page < 0:
            raise _Invalid("'page' must be 0 or more.")
        first = page * page_size
        if first >= ACTIVITY_RECORD_CAP:
            raise _Invalid(
                f"page {page} of size {page_size} is past the maximum of "
                f"{ACTIVITY_RECORD_CAP} records for the given from and to."
            )
        agent_ids = _ids(q, "agentIds")
        team_ids = _ids(q, "teamIds")
        channels = _channels(q)
        found = self.activity_list(from_ms, to_ms, now)
        if agent_ids is not None or team_ids is not None or channels is not None:
            found = [
                a
                for a in found
                if (agent_ids is None or a.agent.id in agent_ids)
                and (team_ids is None or a.agent.team_id in team_ids)
                and (channels is None or a.channel_type in channels)
            ]
        last = min(first + page_size, ACTIVITY_RECORD_CAP)  # never past the 10,000th record
        data = [self._activity(a) for a in found[first:last]]
        return self._ok({"meta": {"orgId": self.app.org_id}, "data": data}, tracking_id)

    def _activity(self, a: model.ActivityView) -> dict[str, Any]:
        agent = a.agent
        team = self.teams[agent.team_id]
        site = self.sites[agent.site_id]
        return {
            "active": a.end_time is None,
            "agentId": agent.id,
            "agentDn": agent.phone_number,
            "agentLogin": agent.sign_in_id,
            "agentSessionId": a.session_id,
            "agentName": agent.name,
            "currentState": a.state,
            "siteId": site.id,
            "siteName": site.name,
            "teamId": team.id,
            "teamName": team.name,
            "isLogin": 1 if a.is_login else 0,
            "taskId": a.task_id,
            "channelId": a.channel_id,
            "channelType": a.channel_type,
            "subChannelType": None,
            "idleCodeName": a.idle_code_name,
            "idleCode": a.idle_code_id,
            "queueId": a.queue_id,
            "queueName": a.queue_name,
            "wrapupCodeName": a.wrapup_code_name,
            "reason": None,
            "startTime": a.start_time,
            "endTime": -1 if a.end_time is None else a.end_time,
            "mmProfileType": _PROFILE.get(agent.channels[0], "blended"),
        }

    # -- POST /v1/captures/query ---------------------------------------------------------------

    async def captures(self, request: Request) -> Response:
        return await self._guarded(request, self._captures)

    async def _captures(self, request: Request, tracking_id: str, principal: Principal) -> Response:
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            return error_response(400, "Request body is not valid JSON.", tracking_id)
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, dict):
            return error_response(400, "Request body must hold a 'query' object.", tracking_id)
        org = query.get("orgId")
        if org is not None and org != principal.org_id:
            return error_response(403, f"Access to org {org} is forbidden.", tracking_id)
        task_ids = query.get("taskIds")
        if (
            not isinstance(task_ids, list)
            or not task_ids
            or not all(isinstance(t, str) and t for t in task_ids)
        ):
            return error_response(400, "'taskIds' must be a non-empty list of ids.", tracking_id)
        if len(task_ids) > MAX_CAPTURE_TASKS:
            return error_response(
                400, f"At most {MAX_CAPTURE_TASKS} taskIds are allowed per request.", tracking_id
            )
        minutes = query.get("urlExpiration", DEFAULT_URL_EXPIRATION_MIN)
        if type(minutes) is not int or minutes <= 0:
            return error_response(400, "urlExpiration should be greater than 0", tracking_id)
        if minutes > MAX_URL_EXPIRATION_MIN:
            return error_response(
                400, f"urlExpiration should be at most {MAX_URL_EXPIRATION_MIN}", tracking_id
            )
        now = self.app.now_ms()
        expires_s = int(self.app.clock.time()) + minutes * 60
        base = str(request.base_url).rstrip("/")
        data = []
        for task_id in dict.fromkeys(task_ids):
            plan = self.capture_index.plan(task_id, now)
            recordings = model.recordings_of(plan, now) if plan is not None else []
            data.append(
                {
                    "taskId": task_id,
                    "recording": [self._recording(r, base, expires_s) for r in recordings],
                    "transcription": [],
                }
            )
        meta = {"orgId": self.app.org_id, "urlExpiration": minutes}
        return self._ok({"meta": meta, "data": data}, tracking_id)

    def _recording(self, r: model.Recording, base: str, expires_s: int) -> dict[str, Any]:
        signature = self.sign(r.task_id, r.file_name, expires_s)
        path = (
            f"/recordings/{quote(self.app.org_id)}/{quote(r.task_id)}/{quote(r.file_name)}"
            f"?Expires={expires_s}&Signature={signature}"
        )
        return {
            "id": r.id,
            "segment": False,
            "attributes": {
                "fileName": r.file_name,
                "filePath": base + path,
                "startTime": r.start_time,
                "stopTime": r.stop_time,
                "participants": list(r.participants),
                "channel1": r.channel1,
                "channel2": r.channel2,
                "callType": r.call_type,
                "sensitive": False,
            },
        }

    # -- GET /recordings/... (the pre-signed "S3" objects) ---------------------------------------

    async def recording_file(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        p = request.path_params
        task_id, file_name = p["task_id"], p["file_name"]
        expires = request.query_params.get("Expires", "")
        signature = request.query_params.get("Signature", "")
        if (
            p["org_id"] != self.app.org_id
            or not expires.isdigit()
            or not _FILE_NAME.match(file_name)
            or not hmac.compare_digest(signature, self.sign(task_id, file_name, int(expires)))
        ):
            return error_response(403, "Access Denied: the signature does not match.", tracking_id)
        if self.app.clock.time() >= int(expires):
            return error_response(403, "Access Denied: Request has expired.", tracking_id)
        now = self.app.now_ms()
        plan = self.capture_index.plan(task_id, now)
        found = (
            [r for r in model.recordings_of(plan, now) if r.file_name == file_name] if plan else []
        )
        if not found:
            return error_response(404, "The specified key does not exist.", tracking_id)
        rec = found[0]
        start, end = 0, rec.size
        status = 200
        headers = {"Accept-Ranges": "bytes", "TrackingId": tracking_id}
        wanted = request.headers.get("range")
        if wanted:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
            if m is None or int(m.group(1)) >= rec.size:
                return Response(
                    b"",
                    status_code=416,
                    headers={"Content-Range": f"bytes */{rec.size}", "TrackingId": tracking_id},
                )
            start = int(m.group(1))
            end = min(rec.size, int(m.group(2)) + 1) if m.group(2) else rec.size
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{rec.size}"
        return Response(
            rec.content(start, end - start),
            status_code=status,
            media_type="audio/wav",
            headers=headers,
        )


# --- parameters -------------------------------------------------------------------------------


def _int(q: Any, name: str) -> int | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _Invalid(f"'{name}' must be an integer.") from None


def _required_int(q: Any, name: str) -> int:
    value = _int(q, name)
    if value is None:
        raise _Invalid(f"'{name}' is required.")
    return value


def _page_size(q: Any) -> int:
    size = _int(q, "pageSize")
    if size is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise _Invalid(f"'pageSize' must be between 1 and {MAX_PAGE_SIZE}.")
    return size


def _channels(q: Any) -> set[str] | None:
    raw = q.get("channelTypes")
    if not raw:
        return None
    found = {c.strip() for c in raw.split(",") if c.strip()}
    unknown = found - set(CHANNELS)
    if unknown:
        raise _Invalid(f"unknown channelTypes {', '.join(sorted(unknown))}.")
    return found


def _ids(q: Any, name: str) -> set[str] | None:
    raw = q.get(name)
    if not raw:
        return None
    found = {i.strip() for i in raw.split(",") if i.strip()}
    if len(found) > MAX_IDS:
        raise _Invalid(f"at most {MAX_IDS} {name} are allowed.")
    return found


def _statistics_window(q: Any) -> tuple[int, int, int]:
    """``from``/``to`` rounded down to 15 minutes (span under 24 hours) and the interval."""
    from_ms = _required_int(q, "from")
    to_ms = _required_int(q, "to")
    from_ms -= from_ms % INTERVAL_MS
    to_ms -= to_ms % INTERVAL_MS
    if to_ms <= from_ms:
        raise _Invalid("'to' must be at least 15 minutes after 'from'.")
    if to_ms - from_ms >= DAY_MS:
        raise _Invalid("The difference between to and from time must be less than 24 hours.")
    interval = _int(q, "interval")
    interval = 15 if interval is None else interval
    if interval not in INTERVALS:
        raise _Invalid("'interval' must be 15, 30 or 60.")
    return from_ms, to_ms, interval


def _task_attributes(task: model.TaskView) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if task.owner_id is not None:  # a task no agent had has no owner (seen in real answers)
        out["owner"] = {"id": task.owner_id, "name": task.owner_name}
    if task.queue_id is not None:
        out["queue"] = {"id": task.queue_id, "name": task.queue_name}
    out.update(
        channelType=task.channel_type,
        status=task.status,
        createdTime=task.created_time,
        lastUpdatedTime=task.last_updated_time,
        captureRequested=task.capture_requested,
        origin=task.origin,
        destination=task.destination,
        direction=task.direction,
        reasonCode=task.reason_code,
    )
    return out


def routes(app: Any) -> list[Route]:
    """The family's routes, served by ``app`` (a ``sandbox.app.SandboxApp``)."""
    state = _Reporting(app)
    return [
        Route("/v1/tasks", state.tasks, methods=["GET"]),
        Route("/v1/queues/statistics", state.queue_statistics, methods=["GET"]),
        Route("/v1/agents/statistics", state.agent_statistics, methods=["GET"]),
        Route("/v1/agents/activities", state.agent_activities, methods=["GET"]),
        Route("/v1/captures/query", state.captures, methods=["POST"]),
        Route("/recordings/{org_id}/{task_id}/{file_name}", state.recording_file, methods=["GET"]),
    ]
