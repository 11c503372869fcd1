"""WFO client: session login, Data Explorer bulk report exports, org exports (CSV to Arrow).

:class:`WfoClient` logs in once (``POST /api/rest/authorize``) on first use, sends the session
as the ``hazelcast.sessionId`` cookie, logs in again once when a call answers 401 (the session
expired after two idle hours), and always logs out (``DELETE``) on ``close()`` / leaving the
``with`` block.

Reports (:meth:`WfoClient.report_pages`): one export per page of at most 1,000 rows
(``pageSpecification`` row offset), until the result's extent (the ``Content-Extent`` header,
``rows=<n>;columns=<m>``) is covered. An export answers CSV at once, or ``{requestId,
status}``: the request id is then written to a JSON state file under ``state_dir`` (atomically,
under a file lock) *before* polling, so a run killed while polling resumes the same request.
Polling backs off exponentially (:class:`PollPolicy`) on the injected clock. Terminal statuses:

- ``Failed`` and ``Expired`` (and a request the service no longer knows, 404): a new request,
  at most ``max_new_requests`` times per page, then :class:`WfoExportFailed`;
- ``Canceled`` (someone stopped it on purpose) and ``Blacklisted`` (the call limit is exceeded;
  asking again makes it worse): :class:`WfoExportFailed` at once.

Each ends the stored request; a request still pending after ``PollPolicy.timeout_s`` stays
stored and raises :class:`WfoExportPending`, so the next run picks it up. A stored request is
keyed by URL, user, language, report, window, row offset and page size (its CSV has the headers
of the session language that made it).

CSV headers are mapped to the table's columns by the session's language
(``warehouse.schemas_wfo.WfoExport.header_map``), parsed with ``pyarrow.csv`` as text and cast
to the table's Arrow types. Neither the password nor the session id ever appears in a message.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.sources.errors import (
    ApiError,
    AuthError,
    ConfigError,
    IncompleteWindow,
    MalformedResponse,
    WxccError,
    describe_window,
    redact,
    register_secret,
)
from pipelines.sources.http import Clock, RetryPolicy, WxccHttp
from warehouse.schemas import UTC_MS
from warehouse.schemas_wfo import (
    SNAPSHOT_DATE,
    SNAPSHOT_TIME,
    SNAPSHOTS,
    WfoExport,
    WfoReport,
)

log = logging.getLogger(__name__)

AUTHORIZE = "/api/rest/authorize"
COOKIE = "hazelcast.sessionId"
MAX_EXPORT_ROWS = 1000  # seed: "a maximum of 1,000 records in each export request"
MAX_EXPORT_COLUMNS = 1000
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
STATE_FILE = "wfo_export_requests.json"
PENDING = ("Queued", "Processing")
RETRY_NEW = ("Failed", "Expired")
FINAL = ("Canceled", "Blacklisted")
_SCHEMA = "com.stytch.rest.api.v4.data"


class WfoExportFailed(WxccError):
    """An export request ended in a terminal status that a new request will not fix."""


class WfoExportPending(WxccError):
    """An export request was still pending when this run stopped waiting; the next run resumes it."""


@dataclass(frozen=True)
class PollPolicy:
    """Waits between polls of an asynchronous export: ``initial_s`` doubling up to ``max_s``;
    ``timeout_s`` in all before giving up for this run (the request stays stored)."""

    initial_s: float = 1.0
    max_s: float = 30.0
    timeout_s: float = 1800.0


@dataclass
class WfoStats:
    logins: int = 0
    renewals: int = 0
    logouts: int = 0
    exports_posted: int = 0
    sync_answers: int = 0
    async_requests: int = 0
    requests_resumed: int = 0
    polls: int = 0
    new_requests: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class RequestStore:
    """Pending export request ids by page key, in one JSON file (atomic writes, locked)."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / STATE_FILE

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / f".{STATE_FILE}.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                data = orjson.loads(self.path.read_bytes()) if self.path.exists() else {}
                before = dict(data)
                yield data
                if data != before:
                    self._write(data)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{STATE_FILE}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> str | None:
        with self._locked() as data:
            entry = data.get(key)
        return entry["request_id"] if entry else None

    def put(self, key: str, request_id: str, created_ms: int) -> None:
        with self._locked() as data:
            data[key] = {"request_id": request_id, "created_ms": created_ms}

    def drop(self, key: str) -> None:
        with self._locked() as data:
            data.pop(key, None)

    def all(self) -> dict[str, Any]:
        with self._locked() as data:
            return dict(data)


@dataclass(frozen=True)
class _Answer:
    csv: bytes | None = None
    extent: tuple[int, int] | None = None
    request_id: str | None = None
    status: str | None = None


class WfoClient:
    """One WFO user's session against one WFO base URL. Use as a context manager."""

    def __init__(
        self,
        base_url: str,
        *,
        user: str,
        password: str,
        tenant_id: str | None,
        state_dir: Path,
        language: str = "en",
        locale: str | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        page_rows: int = MAX_EXPORT_ROWS,
        max_new_requests: int = 3,
    ) -> None:
        if not user or not password:
            raise ConfigError("WFO needs a user and a password (WFO_USER, WFO_PASSWORD)")
        if not 1 <= page_rows <= MAX_EXPORT_ROWS:
            raise ConfigError(f"page_rows must lie in [1, {MAX_EXPORT_ROWS}], not {page_rows}")
        register_secret(password)
        self._http = WxccHttp(base_url, clock=clock, transport=transport, retry=retry)
        self.base_url = self._http.base_url
        self.clock = self._http.clock
        self.user = user
        self._password = password
        self.tenant_id = tenant_id
        self.language = language
        self.locale = locale
        self.store = RequestStore(state_dir)
        self.poll = poll or PollPolicy()
        self.page_rows = page_rows
        self.max_new_requests = max_new_requests
        self.stats = WfoStats()
        self._session: str | None = None
        self._session_language = language

    # -- session -------------------------------------------------------------------------------

    def __enter__(self) -> WfoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Log out (if logged in) and close the connection pool."""
        try:
            self.logout()
        finally:
            self._http.close()

    def login(self) -> None:
        body: dict[str, Any] = {
            "userId": self.user,
            "password": self._password,
            "language": self.language,
        }
        if self.locale:
            body["locale"] = self.locale
        if self.tenant_id:
            body["tenantId"] = self.tenant_id
        what = f"WFO login as user {self.user!r} at {self.base_url}"
        response = self._http.send("POST", AUTHORIZE, json=body, context="WFO login")
        if response.status_code in (400, 401, 403):
            raise AuthError(
                f"{what} was refused (HTTP {response.status_code}: {_message(response)}); check "
                "WFO_USER, WFO_PASSWORD and WFO_TENANT_ID"
            )
        if not response.is_success:
            raise ApiError(
                f"{what} failed (HTTP {response.status_code}: {_message(response)})",
                status=response.status_code,
            )
        try:
            info = response.json()
            session = info["sessionId"]
        except (ValueError, KeyError, TypeError):
            raise MalformedResponse(f"{what}: the answer holds no sessionId") from None
        if not isinstance(session, str) or not session:
            raise MalformedResponse(f"{what}: the answer holds no sessionId")
        register_secret(session)
        self._session = session
        self._session_language = str(info.get("lang") or self.locale or self.language)
        self.stats.logins += 1
        log.info("logged in to WFO as %s", self.user)

    def logout(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            response = self._http.send(
                "DELETE", AUTHORIZE, headers=_cookie(session), context="WFO logout"
            )
            if response.is_success:
                self.stats.logouts += 1
            elif response.status_code != 401:  # 401: it had expired anyway
                log.warning("WFO logout answered HTTP %s", response.status_code)
        except WxccError as exc:
            log.warning("WFO logout failed: %s", exc)

    def _call(self, method: str, path: str, *, context: str, json: Any = None) -> httpx.Response:
        """Send with the session cookie; log in first if needed, and again once on a 401."""
        renewed = False
        while True:
            if self._session is None:
                self.login()
            response = self._http.send(
                method,
                path,
                json=json,
                headers={**_cookie(self._session or ""), "Accept": "text/csv, application/json"},
                context=context,
            )
            if response.status_code != 401:
                return response
            if renewed:
                raise AuthError(
                    f"{context}: WFO refused a fresh session (HTTP 401 twice: "
                    f"{_message(response)}); check the user's permissions (ReportAuthoring, "
                    "Bulk Import)"
                )
            log.info("%s: WFO session expired; logging in again", context)
            self._session = None
            self.stats.renewals += 1
            renewed = True

    # -- reports -------------------------------------------------------------------------------

    def report_pages(
        self, report: WfoReport, start_ms: int, end_ms: int, org_id: str
    ) -> Iterator[pa.RecordBatch]:
        """Record batches (the report table's Arrow schema) of ``[start_ms, end_ms)``, page by
        page of at most ``page_rows`` rows, until the report's extent is covered."""
        window = describe_window(start_ms, end_ms)
        params = _date_parameter(report.date_parameter, start_ms, end_ms)
        offset, total = 0, None
        while total is None or offset < total:
            context = f"wfo.{report.table.name} {window} rows from {offset}"
            answer = self._export_page(report, params, start_ms, end_ms, offset, context)
            assert answer.csv is not None and answer.extent is not None
            rows, columns = answer.extent
            if total is None:
                total = rows
            elif rows != total:
                raise IncompleteWindow(
                    f"{context}: the report's extent changed from {total} to {rows} rows while "
                    "paging; load the window again",
                    expected=total,
                    received=offset,
                )
            batch = self._batch(report, answer.csv, org_id, context, columns)
            if batch.num_rows == 0 and offset < total:
                raise IncompleteWindow(
                    f"{context}: an empty page before the extent ({total} rows) was covered",
                    expected=total,
                    received=offset,
                )
            offset += batch.num_rows
            if batch.num_rows:
                yield batch

    def page_key(self, report: WfoReport, start_ms: int, end_ms: int, offset: int) -> str:
        """Key of one export page in the request store. The language is part of it: a stored
        request's CSV has the headers of the session that made it."""
        return (
            f"{self.base_url}|{self.user}|{self.locale or self.language}|{report.report_id}|"
            f"{report.qname}|{start_ms}|{end_ms}|{offset}|{self.page_rows}"
        )

    def _export_page(
        self,
        report: WfoReport,
        params: list[dict[str, Any]],
        start_ms: int,
        end_ms: int,
        offset: int,
        context: str,
    ) -> _Answer:
        key = self.page_key(report, start_ms, end_ms, offset)
        body = {
            "schemaName": f"{_SCHEMA}.report.action.ExportActionData",
            "action": "EXPORT_CSV",
            "state": {"schemaName": f"{_SCHEMA}.report.ReportSpecData", "qname": report.qname},
            "paramValues": {
                "schemaName": f"{_SCHEMA}.parameters.EncodedParameterValuesData",
                "encodedParamValues": orjson.dumps(params).decode(),
                "qnameContent": report.qname,
            },
            "pageSpecification": [
                {"offset": offset, "limit": self.page_rows},
                {"offset": 0, "limit": MAX_EXPORT_COLUMNS},
            ],
        }
        new_requests = 0
        request_id = self.store.get(key)
        if request_id is not None:
            self.stats.requests_resumed += 1
            log.info("%s: resuming export request %s", context, request_id)
        while True:
            if request_id is None:
                path = f"/api/rest/dataexplorer/report/{report.report_id}/export"
                self.stats.exports_posted += 1
                answer = self._answer(self._call("POST", path, json=body, context=context), context)
                if answer.csv is not None:
                    self.stats.sync_answers += 1
                    return answer
                request_id = answer.request_id
                assert request_id is not None
                self.store.put(key, request_id, int(self.clock.now() * 1000))
                self.stats.async_requests += 1
                log.info("%s: export request %s is %s", context, request_id, answer.status)
            status = self._wait_for(request_id, context)
            if isinstance(status, _Answer):
                self.store.drop(key)
                return status
            self.store.drop(key)
            if status in FINAL:
                raise WfoExportFailed(
                    f"{context}: export request {request_id} ended {status}"
                    + (
                        " (the call limit is exceeded; wait before loading again)"
                        if status == "Blacklisted"
                        else " (stopped on the WFO side; load the window again to ask anew)"
                    )
                )
            new_requests += 1
            if new_requests > self.max_new_requests:
                raise WfoExportFailed(
                    f"{context}: export request {request_id} ended {status}, after "
                    f"{self.max_new_requests} new requests; the report cannot be exported now"
                )
            log.warning("%s: export request %s ended %s; asking anew", context, request_id, status)
            self.stats.new_requests += 1
            request_id = None

    def _wait_for(self, request_id: str, context: str) -> _Answer | str:
        """Poll until the CSV (an answer) or a terminal status (its name; "Expired" for a
        request the service no longer knows)."""
        waited, delay = 0.0, self.poll.initial_s
        path = f"/api/rest/dataexplorer/report/export/request/{request_id}"
        while True:
            if waited >= self.poll.timeout_s:
                raise WfoExportPending(
                    f"{context}: export request {request_id} still pending after {waited:.0f} s; "
                    "the next run resumes it"
                )
            self.clock.sleep(delay)
            waited += delay
            delay = min(self.poll.max_s, delay * 2)
            self.stats.polls += 1
            response = self._call("GET", path, context=context)
            if response.status_code == 404:
                log.warning("%s: export request %s is unknown to WFO", context, request_id)
                return "Expired"
            answer = self._answer(response, context)
            if answer.csv is not None:
                return answer
            if answer.status in PENDING:
                continue
            if answer.status in RETRY_NEW or answer.status in FINAL:
                return str(answer.status)
            raise MalformedResponse(
                f"{context}: export request {request_id} has unknown status {answer.status!r}"
            )

    def _answer(self, response: httpx.Response, context: str) -> _Answer:
        if not response.is_success:
            raise ApiError(
                f"{context}: HTTP {response.status_code}: {_message(response)}",
                status=response.status_code,
            )
        kind = response.headers.get("content-type", "").lower()
        if "json" in kind:
            try:
                body = response.json()
                return _Answer(request_id=str(body["requestId"]), status=str(body["status"]))
            except (ValueError, KeyError, TypeError):
                raise MalformedResponse(
                    f"{context}: a JSON answer without requestId and status: "
                    f"{redact(response.text, limit=160)}"
                ) from None
        extent = _extent(response.headers.get("content-extent"))
        if extent is None:
            raise MalformedResponse(f"{context}: a CSV answer without its Content-Extent")
        return _Answer(csv=response.content, extent=extent)

    # -- org snapshots -------------------------------------------------------------------------

    def snapshot_pages(
        self, kind: str, start_ms: int, end_ms: int, org_id: str
    ) -> Iterator[pa.RecordBatch]:
        """The org export ``kind`` (persons, groups or teams) as a snapshot for the window:
        ``snapshot_date`` its UTC day, ``snapshot_time`` its start."""
        export = SNAPSHOTS.get(kind)
        if export is None:
            raise ConfigError(f"unknown WFO export {kind!r}; known: {', '.join(SNAPSHOTS)}")
        context = f"wfo.{kind} snapshot {describe_window(start_ms, end_ms)}"
        response = self._call("GET", f"/api/rest/fileexport/{kind}", context=context)
        if not response.is_success:
            raise ApiError(
                f"{context}: HTTP {response.status_code}: {_message(response)}",
                status=response.status_code,
            )
        taken = {
            SNAPSHOT_DATE: pa.scalar(
                datetime.fromtimestamp(start_ms / 1000, tz=UTC).date(), pa.date32()
            ),
            SNAPSHOT_TIME: pa.scalar(start_ms, pa.int64()).cast(UTC_MS),
        }
        batch = self._batch(export, response.content, org_id, context, None, taken)
        if batch.num_rows:
            yield batch

    # -- CSV -----------------------------------------------------------------------------------

    def _batch(
        self,
        export: WfoExport,
        body: bytes,
        org_id: str,
        context: str,
        extent_columns: int | None,
        constants: Mapping[str, pa.Scalar] | None = None,
    ) -> pa.RecordBatch:
        table = export.table
        text = body.decode("utf-8-sig")
        headers = next(csv.reader(io.StringIO(text)), [])
        if extent_columns is not None and len(headers) < extent_columns:
            raise MalformedResponse(
                f"{context}: {len(headers)} of the report's {extent_columns} columns came back"
            )
        constants = constants or {}
        mapping = export.header_map(self._session_language)
        by_column = {mapping[h]: h for h in headers if h in mapping}
        wanted = [c.name for c in table.columns if c.name not in constants]
        missing = [n for n in wanted if n not in by_column]
        if missing:
            unknown = [h for h in headers if h not in mapping]
            raise MalformedResponse(
                f"{context}: no CSV header for column(s) {missing} in language "
                f"{self._session_language!r} (headers not recognized: {unknown[:8]}); add their "
                "labels under the report's headers in WXCC_CONFIG"
            )
        if len(set(headers)) != len(headers):
            raise MalformedResponse(f"{context}: the CSV repeats a header")
        if headers:
            parsed = pacsv.read_csv(
                io.BytesIO(text.encode("utf-8")),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(headers, pa.string()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )
            n = parsed.num_rows
        else:
            parsed, n = None, 0
        arrays: list[pa.Array] = [pa.array([org_id] * n, pa.string())]
        for field in list(table.arrow)[1:]:
            if field.name in constants:
                arrays.append(pa.array([constants[field.name].as_py()] * n, field.type))
                continue
            assert parsed is not None or n == 0
            raw = (
                parsed.column(by_column[field.name]).combine_chunks()
                if parsed is not None
                else pa.array([], pa.string())
            )
            arrays.append(_typed(raw, field.type, field.name, context))
        return pa.RecordBatch.from_arrays(arrays, schema=table.arrow)


def _typed(raw: pa.Array, arrow_type: pa.DataType, name: str, context: str) -> pa.Array:
    try:
        if arrow_type == pa.string():
            return raw
        if arrow_type == UTC_MS:
            return raw.cast(pa.int64()).cast(UTC_MS)
        if arrow_type == pa.date32():
            return pc.strptime(raw, format="%m/%d/%Y", unit="s").cast(pa.date32())
        return raw.cast(arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise MalformedResponse(
            f"{context}: column {name} does not hold {arrow_type} values ({redact(exc, limit=120)})"
        ) from None


def _date_parameter(name: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    """The report's date range parameter for ``[start_ms, end_ms)``: whole UTC days, else whole
    hours (periods ``rangeStart`` to ``rangeEnd`` both included)."""
    for period, size in (("DayOfMonthPeriod", DAY_MS), ("HourOfDayPeriod", HOUR_MS)):
        if start_ms % size == 0 and end_ms % size == 0 and end_ms > start_ms:
            value = {
                "periodType": period,
                "referenceTime": start_ms,
                "rangeStart": 0,
                "rangeEnd": (end_ms - start_ms) // size - 1,
            }
            return [{"name": name, "value": {"containsNull": "false", "values": [value]}}]
    raise ConfigError(
        f"a WFO report window must be whole UTC hours; {describe_window(start_ms, end_ms)} is not"
    )


def _extent(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        parts = dict(p.strip().split("=", 1) for p in value.split(";") if p.strip())
        return int(parts["rows"]), int(parts["columns"])
    except (KeyError, ValueError):
        return None


def _cookie(session: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={session}"}


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return redact(response.text, limit=160) or response.reason_phrase
    if isinstance(body, dict):
        text = body.get("errorMessage") or (body.get("error") or {}).get("message")
        if text:
            return redact(text, limit=200)
    return redact(response.text, limit=160)


def client_from_env(environ: Mapping[str, str], state_dir: Path, **kwargs: Any) -> WfoClient:
    """A client from ``WFO_URL`` (else ``WXCC_API_URL``), ``WFO_USER``, ``WFO_PASSWORD`` and
    ``WFO_TENANT_ID``; ``kwargs`` go to :class:`WfoClient`."""
    url = environ.get("WFO_URL") or environ.get("WXCC_API_URL")
    if not url:
        raise ConfigError("set WFO_URL (or WXCC_API_URL) to the WFO base URL")
    missing = [n for n in ("WFO_USER", "WFO_PASSWORD") if not environ.get(n)]
    if missing:
        raise ConfigError(f"set {' and '.join(missing)} for the WFO exports")
    return WfoClient(
        url,
        user=environ["WFO_USER"],
        password=environ["WFO_PASSWORD"],
        tenant_id=environ.get("WFO_TENANT_ID") or None,
        state_dir=state_dir,
        **kwargs,
    )
