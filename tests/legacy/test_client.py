"""The legacy client through a fake transport: auth headers, query, splitting at the cap, the
JSON and CSV variants it tolerates, and its failures, by message."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pyarrow as pa
import pytest

from pipelines.sources.errors import (
    ApiError,
    AuthError,
    ConfigError,
    MalformedResponse,
    WindowTooLarge,
)
from pipelines.sources.http import RetryPolicy
from pipelines.sources.legacy import LegacyClient, parse_csv
from tests.legacy._support import SharedClock
from tests.support import ms
from warehouse.schemas_legacy import AAR, CSR

URL = "https://rest.example.test"
KEY = "k3y-that-must-never-show"
USER = "analyst@example.com"
TENANT = "t-42"
DAY = (ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00"))
SIGNATURE = base64.b64encode(hmac.new(KEY.encode(), USER.encode(), hashlib.sha1).digest()).decode()

Handler = Callable[[httpx.Request], httpx.Response]


def query_of(request: httpx.Request) -> dict[str, Any]:
    return orjson.loads(parse_qs(urlsplit(str(request.url)).query)["q"][0])


def csr(n: int, start: int) -> dict[str, Any]:
    return {"sid": f"s{n}", "cstts": start, "cetts": -1, "channelType": "chat", "duration": 5}


def make(handler: Handler, fmt: str = "json", **kwargs: Any) -> LegacyClient:
    kwargs.setdefault("retry", RetryPolicy(max_attempts=3))
    return LegacyClient(
        URL,
        api_key=KEY,
        user_id=USER,
        tenant_id=TENANT,
        fmt=fmt,
        clock=SharedClock(),
        transport=httpx.MockTransport(handler),
        **kwargs,
    )


def serve(records: list[dict[str, Any]], cap: int) -> tuple[Handler, list[tuple[int, int]]]:
    """A service holding ``records`` that answers at most ``cap`` of a window, silently."""
    asked: list[tuple[int, int]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = query_of(request)
        lo, hi = q["dateBegin"][0], q["dateEnd"][0]
        asked.append((lo, hi))
        found = [r for r in records if lo <= r["cstts"] < hi][: min(cap, q["numberOfRecords"])]
        return httpx.Response(200, json=found)

    return handler, asked


def test_sends_the_signed_headers_and_the_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    with make(handler) as client:
        assert list(client.pages(CSR, *DAY, org_id="o")) == [[]]
    (request,) = seen
    assert request.url.path == "/aws/api/csrs"
    assert request.headers["Authorization"] == f"{SIGNATURE};tenantId={TENANT}"
    assert request.headers["From"] == USER
    assert request.headers["Accept"] == "application/json"
    q = query_of(request)
    assert (q["dateBegin"], q["dateEnd"], q["numberOfRecords"]) == ([DAY[0]], [DAY[1]], 10_000)


def test_a_window_whose_answer_reaches_the_cap_is_split_and_nothing_is_lost() -> None:
    records = [csr(n, DAY[0] + n * 60_000) for n in range(100)]
    handler, asked = serve(records, cap=1000)
    with make(handler, record_cap=30) as client:
        pages = list(client.pages(CSR, *DAY, org_id="o"))
    got = [r["sid"] for page in pages for r in page]
    assert got == [r["sid"] for r in records]  # all of them, once, in time order
    assert all(len(page) < 30 for page in pages)
    assert client.stats.splits >= 3
    assert asked[0] == DAY  # the whole window first, then halves
    assert asked[1] == (DAY[0], DAY[0] + (DAY[1] - DAY[0]) // 2)


def test_records_within_one_millisecond_over_the_cap_are_refused() -> None:
    records = [csr(n, DAY[0]) for n in range(5)]
    handler, _ = serve(records, cap=1000)
    with make(handler, record_cap=5) as client:
        with pytest.raises(WindowTooLarge, match=r"legacy csrs \[2026-11-18T00:00:00Z"):
            list(client.pages(CSR, *DAY, org_id="o"))


@pytest.mark.parametrize("wrap", [None, "data", "records", "results"])
def test_json_answers_bare_or_wrapped_and_open_ends_as_null(wrap: str | None) -> None:
    records = [csr(0, DAY[0] + 5), {**csr(1, DAY[0] + 9), "cetts": 0}]
    body: Any = records if wrap is None else {wrap: records, "total": 2}
    with make(lambda r: httpx.Response(200, json=body)) as client:
        (page,) = list(client.pages(CSR, *DAY, org_id="o"))
    assert [r["cetts"] for r in page] == [None, None]


def test_a_json_answer_without_a_list_is_malformed() -> None:
    with make(lambda r: httpx.Response(200, json={"message": "hi"})) as client:
        with pytest.raises(MalformedResponse, match="holds no list of records"):
            list(client.pages(CSR, *DAY, org_id="o"))


def test_a_cut_json_answer_is_malformed() -> None:
    cut = orjson.dumps([csr(0, DAY[0])])[:-9]
    response = httpx.Response(200, content=cut, headers={"Content-Type": "application/json"})
    with make(lambda r: response) as client:
        with pytest.raises(MalformedResponse, match="not valid JSON"):
            list(client.pages(CSR, *DAY, org_id="o"))


def test_a_record_outside_the_window_is_refused() -> None:
    with make(lambda r: httpx.Response(200, json=[csr(0, DAY[1])])) as client:
        with pytest.raises(MalformedResponse, match="outside the window"):
            list(client.pages(CSR, *DAY, org_id="o"))


def test_a_repeated_key_is_refused() -> None:
    with make(lambda r: httpx.Response(200, json=[csr(0, DAY[0]), csr(0, DAY[0] + 1)])) as c:
        with pytest.raises(MalformedResponse, match="came twice"):
            list(c.pages(CSR, *DAY, org_id="o"))


def test_a_window_across_days_is_refused_before_any_request() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    with make(handler) as client:
        with pytest.raises(ConfigError, match="within one UTC day"):
            next(iter(client.pages(CSR, DAY[0], DAY[1] + 1, org_id="o")))


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_name_the_settings_and_never_the_key(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "trackingId": "t-1",
            "error": {"key": str(status), "message": [{"description": f"bad {KEY} {SIGNATURE}"}]},
        }
        return httpx.Response(status, json=body)

    with make(handler) as client:
        with pytest.raises(AuthError) as info:
            list(client.pages(CSR, *DAY, org_id="o"))
    text = str(info.value)
    assert "WXCC_LEGACY_API_KEY" in text and "legacy csrs [2026-11-18" in text
    assert KEY not in text and SIGNATURE not in text


def test_429_and_503_are_retried_after_the_given_seconds() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, json={}),
            httpx.Response(503, headers={"Retry-After": "2"}, json={}),
            httpx.Response(200, json=[csr(0, DAY[0])]),
        ]
    )
    clock = SharedClock()
    client = LegacyClient(
        URL,
        api_key=KEY,
        user_id=USER,
        tenant_id=TENANT,
        clock=clock,
        transport=httpx.MockTransport(lambda r: next(answers)),
    )
    with client:
        assert [len(p) for p in client.pages(CSR, *DAY, org_id="o")] == [1]
    assert clock.slept == 9
    assert client.http_stats.rate_limited == 1


def test_a_404_is_an_api_error_with_a_hint() -> None:
    with make(lambda r: httpx.Response(404, json={"error": {"key": "404"}})) as client:
        with pytest.raises(ApiError, match="WXCC_LEGACY_URL"):
            list(client.pages("csrs", *DAY, org_id="o"))


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="WXCC_LEGACY_API_KEY"):
        LegacyClient(URL, api_key="", user_id=USER, tenant_id=TENANT)
    with pytest.raises(ConfigError, match="json or csv"):
        LegacyClient(URL, api_key=KEY, user_id=USER, tenant_id=TENANT, fmt="xml")


# -- CSV ---------------------------------------------------------------------------------------

CSV_HEADER = "sid,cstts,cetts,channelType,transcript,callerId,csatScore,isCallback,unknownField"


def csv_body(*lines: str) -> bytes:
    return ("\r\n".join((CSV_HEADER, *lines)) + "\r\n").encode()


def csv_answer(body: bytes) -> Handler:
    return lambda r: httpx.Response(200, content=body, headers={"Content-Type": "text/csv"})


def test_csv_is_typed_by_the_table_schema_with_quotes_commas_and_line_breaks() -> None:
    t0 = DAY[0] + 1000
    body = csv_body(
        f'a,{t0},{t0 + 5},telephony,"Customer: x, y\r\nAgent: ""ok""","""Ann"" <+1>",4,true,z',
        f'b,{t0 + 1},,chat,"",,,false,',
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return csv_answer(body)(request)

    with make(handler, fmt="csv") as client:
        (batch,) = list(client.pages(CSR, *DAY, org_id="org-1"))
    assert seen[0].headers["Accept"] == "text/csv"
    assert isinstance(batch, pa.RecordBatch) and batch.schema == CSR.arrow
    rows = batch.to_pylist()
    assert rows[0]["transcript"] == 'Customer: x, y\r\nAgent: "ok"'
    assert rows[0]["caller_id"] == '"Ann" <+1>'
    assert rows[0]["csat_score"] == 4 and rows[0]["is_callback"] is True
    assert rows[0]["cetts"].timestamp() * 1000 == t0 + 5
    assert rows[1]["transcript"] == ""  # a quoted empty field is an empty string
    assert rows[1]["caller_id"] is None and rows[1]["cetts"] is None  # an empty one is null
    assert rows[1]["duration"] is None  # a column the answer lacks
    assert {r["org_id"] for r in rows} == {"org-1"}


def test_an_empty_csv_answer_is_an_empty_page() -> None:
    for body in (b"", (CSV_HEADER + "\r\n").encode()):
        with make(csv_answer(body), fmt="csv") as client:
            (batch,) = list(client.pages(CSR, *DAY, org_id="o"))
        assert batch.num_rows == 0 and batch.schema == CSR.arrow


def test_a_truncated_csv_names_the_window_and_the_line() -> None:
    t0 = DAY[0] + 1000
    body = csv_body(f"a,{t0},,chat,,,,false,", f'b,{t0 + 1},,chat,"Customer: hi\r\nAg')[:-2]
    with make(csv_answer(body), fmt="csv") as client:
        with pytest.raises(
            MalformedResponse, match=r"legacy csrs \[2026-11-18T00:00:00Z.*truncated: line 3"
        ):
            list(client.pages(CSR, *DAY, org_id="o"))


def test_a_csv_row_with_missing_fields_names_its_line() -> None:
    t0 = DAY[0] + 1000
    body = csv_body(f'a,{t0},,chat,"two\r\nlines",,,false,', f"b,{t0 + 1},,chat")
    with make(csv_answer(body), fmt="csv") as client:
        with pytest.raises(MalformedResponse, match="malformed CSV at line 4: expected 9 fields"):
            list(client.pages(CSR, *DAY, org_id="o"))


def test_a_csv_value_of_the_wrong_type_names_its_line() -> None:
    t0 = DAY[0] + 1000
    body = csv_body(f"a,{t0},,chat,,,4,false,", f'b,{t0},,chat,"x\r\ny",,many,false,')
    with pytest.raises(MalformedResponse, match="malformed CSV at line 3: the value 'many'"):
        parse_csv(body, CSR, "o", "legacy csrs [..)")


def test_a_json_answer_to_a_csv_request_is_typed_too() -> None:
    node = {"id": "c-1", "session": "s", "stts": DAY[0] + 3, "etts": None, "isOutdial": False}
    with make(lambda r: httpx.Response(200, json=[node]), fmt="csv") as client:
        (batch,) = list(client.pages(AAR, *DAY, org_id="o"))
    assert isinstance(batch, pa.RecordBatch) and batch.schema == AAR.arrow
    assert batch.num_rows == 1
