"""Client for the legacy v1 record API (Analyzer): CSR, CAR, ASR and AAR records of a window.

``GET /aws/api/{csrs|cars|asrs|aars}?q=<JSON query>`` answers the records whose start lies in
``[dateBegin, dateEnd)``, as JSON or (``Accept: text/csv``) CSV. The API has no paging: an answer
holds at most a fixed number of records (the record cap) and says nothing when it stopped there.
So per window ``[start_ms, end_ms)`` (within one UTC day):

1. ask for the window with ``numberOfRecords`` = the cap;
2. an answer that reaches the cap may be truncated: it is dropped, never accepted as complete,
   and both halves of the window are asked instead, recursively, down to 1 ms;
3. every other answer is one page: dict records (JSON), or a record batch typed exactly as the
   table's Arrow schema (CSV, parsed by pyarrow's CSV reader);
4. each page is checked: every record's start instant lies in the window asked, and no key
   repeats within the window.

Auth is the API-key scheme of Cisco's lab: ``Authorization: <Base64(HMAC-SHA1(key=API key,
message=user id))>;tenantId=<tenant>`` and ``From: <user id>``. The transport is
:class:`~pipelines.sources.http.WxccHttp` without a token provider (retries on 429/5xx honouring
``Retry-After``, through its injectable clock); the signature travels as a per-request header,
and the API key and signature are registered as secrets, so no message can show them.

Tolerated variants (the public record of this API is thin): a JSON answer that is a bare array or
an object holding the array under ``data``, ``records``, ``results``, ``items`` or ``content``;
a JSON answer to a CSV request and the reverse (the Content-Type decides); CSV columns in any
order, unknown columns ignored, missing ones null; an open record's end instant given as null,
empty, 0 or -1; an empty body for a window without records.
"""

from __future__ import annotations

import base64
import codecs
import csv
import hashlib
import hmac
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, TypeAlias

import httpx
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.sources.errors import (
    ApiError,
    AuthError,
    ConfigError,
    MalformedResponse,
    WindowTooLarge,
    describe_window,
    redact,
    register_secret,
)
from pipelines.sources.http import (
    DEFAULT_TIMEOUT,
    Clock,
    Limiter,
    RequestStats,
    RetryPolicy,
    WxccHttp,
    parse_error_body,
)
from warehouse.normalize import records_to_batch
from warehouse.schemas import UTC_MS, Table
from warehouse.schemas_legacy import RECORD_PATHS, TABLES

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
DEFAULT_RECORD_CAP = 10_000  # the sandbox's documented cap; never above the service's
FORMATS = ("json", "csv")


def record_format(value: str | None) -> str:
    """``WXCC_LEGACY_FORMAT``'s value as a format the record API serves (unset: json)."""
    fmt = (value or "json").strip().lower()
    if fmt not in FORMATS:
        raise ConfigError(f"WXCC_LEGACY_FORMAT must be json or csv, not {fmt!r}")
    return fmt


JSON_LIST_KEYS = ("data", "records", "results", "items", "content")
API_PATH = "/aws/api/"

Page: TypeAlias = list[dict[str, Any]] | pa.RecordBatch

_TABLES = {t.qualified_name: t for t in TABLES}
_BY_PATH = {path: _TABLES[name] for name, path in RECORD_PATHS.items()}
_ARROW_READ_TYPE = {UTC_MS: pa.int64()}  # epoch ms as read, cast to instants afterwards
_INVALID_VALUE = re.compile(r"invalid value '(.*)'")


def signature(api_key: str, user_id: str) -> str:
    """Base64 of HMAC-SHA1 of ``user_id`` keyed by ``api_key``: the ``Authorization`` value."""
    digest = hmac.new(api_key.encode(), user_id.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass
class LegacyStats:
    """Counters of one :class:`LegacyClient`; ``as_dict()`` suits Dagster metadata."""

    answers: int = 0  # answers read (the HTTP retries are in ``http``)
    pages: int = 0  # answers accepted and yielded
    splits: int = 0  # answers at the cap, dropped and asked again as two halves
    records: int = 0  # records yielded

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def table_of(table: Table | str) -> Table:
    """A legacy table by object, qualified name (``legacy.csr``) or record path (``csrs``)."""
    if isinstance(table, Table):
        name = table.qualified_name
    else:
        name = table
    if name in _TABLES:
        return _TABLES[name]
    if name in _BY_PATH:
        return _BY_PATH[name]
    raise ConfigError(f"not a legacy table: {name!r}; known: {', '.join(_TABLES)}")


class LegacyClient:
    """Records of the legacy v1 API for a table and a window, page by page.

    Args:
        base_url: ``WXCC_LEGACY_URL`` (``https://rest.wxcc-us1.cisco.com``).
        api_key: ``WXCC_LEGACY_API_KEY``; only its HMAC signature is ever sent.
        user_id: ``WXCC_LEGACY_USER_ID``, sent as ``From`` and signed.
        tenant_id: ``WXCC_LEGACY_TENANT_ID``, sent as ``;tenantId=`` after the signature.
        fmt: ``WXCC_LEGACY_FORMAT``: ``json`` (default) or ``csv``.
        record_cap: records per answer at most (the service's cap; the client asks for it and
            splits any window whose answer reaches it). Must not exceed the service's own cap.
        clock, retry, transport, limiter, timeout: as for :class:`WxccHttp` (tests inject a
            clock and an ``httpx.MockTransport``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        user_id: str,
        tenant_id: str,
        fmt: str = "json",
        record_cap: int = DEFAULT_RECORD_CAP,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        limiter: Limiter | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        missing = [
            name
            for name, value in (
                ("WXCC_LEGACY_API_KEY", api_key),
                ("WXCC_LEGACY_USER_ID", user_id),
                ("WXCC_LEGACY_TENANT_ID", tenant_id),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"the legacy record API needs {', '.join(missing)}")
        fmt = record_format(fmt)
        if record_cap < 1:
            raise ConfigError(f"the legacy record cap must be at least 1, not {record_cap}")
        self.fmt = fmt
        self.record_cap = record_cap
        self.user_id = user_id
        self.tenant_id = tenant_id
        sig = signature(api_key, user_id)
        register_secret(api_key)
        register_secret(sig)
        self._authorization = f"{sig};tenantId={tenant_id}"
        self.http = WxccHttp(
            base_url,
            clock=clock,
            retry=retry,
            transport=transport,
            limiter=limiter,
            timeout=timeout,
        )
        self.stats = LegacyStats()

    def __enter__(self) -> LegacyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    @property
    def http_stats(self) -> RequestStats:
        return self.http.stats

    # -- the window ------------------------------------------------------------------------

    def pages(
        self, table: Table | str, start_ms: int, end_ms: int, *, org_id: str
    ) -> Iterator[Page]:
        """The records of ``table`` that started in ``[start_ms, end_ms)``, one page per answer.

        JSON mode yields lists of dict records (API field names); CSV mode yields record batches
        of exactly ``table.arrow`` with ``org_id`` filled in. The window must lie within one UTC
        day. Pages come in time order; a window too dense even at 1 ms raises
        :class:`WindowTooLarge`.
        """
        tbl = table_of(table)
        if not start_ms < end_ms or start_ms // DAY_MS != (end_ms - 1) // DAY_MS:
            raise ConfigError(
                f"legacy windows lie within one UTC day; {describe_window(start_ms, end_ms)} "
                "does not"
            )
        key = tbl.column(tbl.key[0]).api_path
        seen: set[str] = set()
        stack = [(start_ms, end_ms)]
        while stack:
            lo, hi = stack.pop()
            page, keys = self._answer(tbl, lo, hi, org_id, key)
            if len(keys) >= self.record_cap:
                if hi - lo <= 1:
                    raise WindowTooLarge(
                        f"{self._where(tbl, lo, hi)}: {len(keys)} records start within one "
                        f"millisecond, the record cap ({self.record_cap}); the legacy API cannot "
                        "return them all",
                        count=len(keys),
                        cap=self.record_cap,
                    )
                mid = lo + (hi - lo) // 2
                self.stats.splits += 1
                log.info(
                    "%s: %d records reach the cap; asking for each half",
                    self._where(tbl, lo, hi),
                    len(keys),
                )
                stack += [(mid, hi), (lo, mid)]
                continue
            for k in keys:
                if k in seen:
                    raise MalformedResponse(
                        f"{self._where(tbl, lo, hi)}: record {redact(k, limit=80)} came twice "
                        f"in the window {describe_window(start_ms, end_ms)}"
                    )
                seen.add(k)
            self.stats.pages += 1
            self.stats.records += len(keys)
            yield page

    # -- one answer ------------------------------------------------------------------------

    def _where(self, table: Table, lo: int, hi: int) -> str:
        return f"legacy {RECORD_PATHS[table.qualified_name]} {describe_window(lo, hi)}"

    def _answer(
        self, table: Table, lo: int, hi: int, org_id: str, key: str
    ) -> tuple[Page, list[str]]:
        where = self._where(table, lo, hi)
        query = {
            "dateBegin": [lo],
            "dateEnd": [hi],
            "timezone": "UTC",
            "numberOfRecords": self.record_cap,
            "lastNRecords": False,
        }
        path = API_PATH + RECORD_PATHS[table.qualified_name]
        headers = {
            "Authorization": self._authorization,
            "From": self.user_id,
            "Accept": "text/csv" if self.fmt == "csv" else "application/json",
        }
        response = self.http.send(
            "GET",
            path,
            params={"q": orjson.dumps(query).decode()},
            headers=headers,
            context=where,
        )
        if not response.is_success:
            raise self._error(response, where)
        self.stats.answers += 1
        start = table.column(table.time_column).api_path
        content_type = response.headers.get("content-type", "").lower()
        if "csv" in content_type:
            batch = parse_csv(response.content, table, org_id, where)
            return batch, _check_batch(batch, table, lo, hi, where)
        records = parse_json(response.content, table, where)
        keys = _check_records(records, start, key, lo, hi, where)
        if self.fmt == "csv":
            return records_to_batch(table, records, org_id), keys
        return records, keys

    def _error(self, response: httpx.Response, where: str) -> Exception:
        status = response.status_code
        key, description, tracking = parse_error_body(response)
        tracking = tracking or response.request.headers.get("TrackingId")
        said = f": {description}" if description else ""
        trail = f" (trackingId {tracking})" if tracking else ""
        if status in (401, 403):
            return AuthError(
                f"{where}: HTTP {status}{said}{trail}; the legacy API refused the credentials: "
                "check WXCC_LEGACY_API_KEY, WXCC_LEGACY_USER_ID (sent as From) and "
                "WXCC_LEGACY_TENANT_ID"
            )
        hint = {
            400: " (the query was refused as invalid)",
            404: " (check WXCC_LEGACY_URL: the record API lives under /aws/api/)",
        }.get(status, "")
        return ApiError(
            f"{where}: HTTP {status}{said}{trail}{hint}",
            status=status,
            key=key,
            description=description,
            tracking_id=tracking,
        )


# -- JSON ------------------------------------------------------------------------------------


def parse_json(body: bytes, table: Table, where: str) -> list[dict[str, Any]]:
    """The records of a JSON answer: a bare array, or an object holding it under a known key.

    End instants of open records given as 0 or -1 become null.
    """
    if not body.strip():
        return []
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedResponse(
            f"{where}: the answer is not valid JSON ({redact(exc, limit=120)}); it may have "
            "been cut off"
        ) from None
    if isinstance(parsed, dict):
        for name in JSON_LIST_KEYS:
            if isinstance(parsed.get(name), list):
                parsed = parsed[name]
                break
        else:
            keys = ", ".join(sorted(map(str, parsed))[:8])
            raise MalformedResponse(
                f"{where}: the JSON answer holds no list of records (keys: {redact(keys)})"
            )
    if not isinstance(parsed, list):
        raise MalformedResponse(f"{where}: the JSON answer is not a list of records")
    instants = [c.api_path for c in table.columns if c.kind == "instant"]
    for n, record in enumerate(parsed):
        if not isinstance(record, dict):
            raise MalformedResponse(f"{where}: record {n} of the JSON answer is not an object")
        for name in instants:
            value = record.get(name)
            if value is not None and not isinstance(value, bool) and value in (0, -1, ""):
                record[name] = None
    return parsed


def _check_records(
    records: list[dict[str, Any]], start: str, key: str, lo: int, hi: int, where: str
) -> list[str]:
    keys = []
    for n, record in enumerate(records):
        value = record.get(start)
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value < hi:
            raise MalformedResponse(
                f"{where}: record {n} has {start} {redact(repr(value), limit=40)}, outside the "
                "window asked for"
            )
        k = record.get(key)
        if not isinstance(k, str) or not k:
            raise MalformedResponse(f"{where}: record {n} has no {key}")
        keys.append(k)
    return keys


# -- CSV -------------------------------------------------------------------------------------


def parse_csv(body: bytes, table: Table, org_id: str, where: str) -> pa.RecordBatch:
    """A CSV answer as one record batch of exactly ``table.arrow``.

    Parsed by pyarrow's CSV reader (RFC 4180: quoted fields may hold commas, quotes and line
    breaks) into the table's column types; an empty unquoted field is null, a quoted empty field
    ``""`` an empty string. A body that does not end with a line break was cut off. Any error
    names the window and the line.
    """
    # Spreadsheet-minded exporters start UTF-8 with a byte-order mark; it is not part of the
    # first column's name.
    body = body.removeprefix(codecs.BOM_UTF8)
    if not body.strip():
        return _empty(table)
    if not body.endswith(b"\n"):
        line, _ = _locate(body, expected=None)
        raise MalformedResponse(
            f"{where}: the CSV answer is truncated: line {line} does not end with a line break"
        )
    header = _header(body, where)
    by_path = {c.api_path: c for c in table.columns}
    known = [h for h in header if h in by_path]
    types = {h: _ARROW_READ_TYPE.get(by_path[h].arrow_type, by_path[h].arrow_type) for h in known}
    try:
        parsed = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=known,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["true", "True", "TRUE"],
                false_values=["false", "False", "FALSE"],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        bad = _INVALID_VALUE.search(str(exc))
        typed = {n for n, h in enumerate(header) if h in types and types[h] != pa.string()}
        line, reason = _locate(
            body, expected=len(header), value=bad[1] if bad else None, columns=typed
        )
        detail = reason or redact(exc, limit=200)
        raise MalformedResponse(f"{where}: malformed CSV at line {line}: {detail}") from None
    arrays: list[pa.Array] = [pa.array([org_id] * parsed.num_rows, pa.string())]
    for column, field in zip(table.columns, list(table.arrow)[1:], strict=True):
        if column.api_path not in parsed.column_names:
            arrays.append(pa.nulls(parsed.num_rows, field.type))
            continue
        values = parsed.column(column.api_path).combine_chunks()
        if field.type == UTC_MS:
            values = pc.if_else(pc.less_equal(values, 0), pa.scalar(None, pa.int64()), values)
            values = values.cast(UTC_MS)
        arrays.append(values)
    return pa.RecordBatch.from_arrays(arrays, schema=table.arrow)


def _empty(table: Table) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array([], f.type) for f in table.arrow], schema=table.arrow
    )


def _header(body: bytes, where: str) -> list[str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedResponse(f"{where}: the CSV answer is not UTF-8 ({exc.reason})") from None
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    header = [h.strip() for h in first]
    if len(set(header)) != len(header) or not all(header):
        raise MalformedResponse(f"{where}: malformed CSV at line 1: the header repeats a name")
    return header


def _locate(
    body: bytes,
    expected: int | None,
    value: str | None = None,
    columns: set[int] | frozenset[int] = frozenset(),
) -> tuple[int, str | None]:
    """The line of the first problem in a CSV body (1-based), and what it is when known.

    Lines count physical lines, as an editor shows them (a quoted line break starts a new line).
    A problem is a record of the wrong width, a quoting error, or (``value``) the first field in
    one of ``columns`` holding the value pyarrow could not convert. With none of these, the line
    of the last record.
    """
    reader = csv.reader(io.StringIO(body.decode("utf-8", "replace"), newline=""), strict=True)
    start = 1  # where the next record starts
    last_start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return last_start, None
        except csv.Error as exc:
            return start, str(exc)
        if expected is None:
            expected = len(row)
        elif len(row) != expected:
            return start, f"expected {expected} fields, found {len(row)}"
        elif value is not None and any(row[n] == value for n in columns):
            return start, f"the value {redact(repr(value), limit=60)} is not of its column's type"
        last_start = start
        start = reader.line_num + 1


def _check_batch(batch: pa.RecordBatch, table: Table, lo: int, hi: int, where: str) -> list[str]:
    start = batch.column(table.time_column)
    key = batch.column(table.key[0])
    if batch.num_rows == 0:
        return []
    if start.null_count or key.null_count:
        raise MalformedResponse(f"{where}: a CSV record has no {table.time_column} or key")
    low = pc.min(start).cast(pa.int64()).as_py()
    high = pc.max(start).cast(pa.int64()).as_py()
    if low < lo or high >= hi:
        raise MalformedResponse(
            f"{where}: a CSV record has {table.time_column} outside the window asked for"
        )
    return [str(k) for k in key.to_pylist()]
