"""The sandbox's WFO routes spoken to directly: the session, the request life cycle, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest

from tests.wfo.support import DAY1, SharedClock, sandbox

LOGIN = {"userId": "sandbox", "password": "sandbox-password", "language": "en"}


def _body(qname: str, params: Any, rows: int = 100) -> dict[str, Any]:
    return {
        "action": "EXPORT_CSV",
        "state": {"qname": qname},
        "paramValues": {"encodedParamValues": orjson.dumps(params).decode(), "qnameContent": qname},
        "pageSpecification": [{"offset": 0, "limit": rows}, {"offset": 0, "limit": 100}],
    }


def _day(start_ms: int, last: int = 0) -> list[dict[str, Any]]:
    value = {"periodType": "DayOfMonthPeriod", "referenceTime": start_ms + 43_200_000}
    return [
        {
            "name": "pDate",
            "value": {
                "containsNull": "false",
                "values": [{**value, "rangeStart": 0, "rangeEnd": last}],
            },
        }
    ]


@contextmanager
def _session(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url) as http:
        answer = http.post("/api/rest/authorize", json=LOGIN)
        assert answer.status_code == 200
        sid = answer.json()["sessionId"]
        assert answer.cookies["hazelcast.sessionId"] == sid
        yield http


def test_an_async_request_goes_queued_processing_csv_then_expired() -> None:
    clock = SharedClock()
    options = {"wfo.force_async": True, "wfo.async_ready_s": 10, "wfo.async_ttl_s": 100}
    with sandbox(clock, **options) as url, _session(url) as http:
        made = http.post(
            "/api/rest/dataexplorer/report/103/export",
            json=_body("RP1_103_0_scheduleadherence", _day(DAY1[0])),
        )
        assert made.json()["status"] == "Queued"
        path = f"/api/rest/dataexplorer/report/export/request/{made.json()['requestId']}"
        seen = []
        for _ in range(3):
            answer = http.get(path)
            seen.append(
                answer.json()["status"] if "json" in answer.headers["content-type"] else "csv"
            )
            clock.advance(5)
        assert seen == ["Queued", "Processing", "csv"]
        assert answer.headers["content-extent"] == "rows=27;columns=12"
        assert len(answer.text.splitlines()) == 28
        clock.advance(101)
        assert http.get(path).json()["status"] == "Expired"
        assert http.get("/api/rest/dataexplorer/report/export/request/nope").status_code == 404


def test_two_days_inclusive_and_small_results_come_back_at_once() -> None:
    clock = SharedClock()
    with sandbox(clock) as url, _session(url) as http:
        one = http.post(
            "/api/rest/dataexplorer/report/103/export",
            json=_body("RP1_103_0_scheduleadherence", _day(DAY1[0], 0)),
        )
        two = http.post(
            "/api/rest/dataexplorer/report/103/export",
            json=_body("RP1_103_0_scheduleadherence", _day(DAY1[0], 1)),
        )
    assert one.headers["content-type"].startswith("text/csv")
    one_rows = int(one.headers["content-extent"].split(";")[0].split("=")[1])
    two_rows = int(two.headers["content-extent"].split(";")[0].split("=")[1])
    assert one_rows == 27 and two_rows > one_rows


@pytest.mark.parametrize(
    ("qname", "params", "rows", "status", "message"),
    [
        ("RP1_103_0_scheduleadherence", [], 10, 400, "date range parameter pDate"),
        ("RP1_101_0_agentintervalproductivity", "DAY", 10, 400, "does not name this report"),
        ("RP1_103_0_scheduleadherence", "DAY", 1001, 400, "maximum of 1,000 records"),
    ],
)
def test_bad_exports_are_refused(
    qname: str, params: Any, rows: int, status: int, message: str
) -> None:
    clock = SharedClock()
    with sandbox(clock) as url, _session(url) as http:
        answer = http.post(
            "/api/rest/dataexplorer/report/103/export",
            json=_body(qname, _day(DAY1[0]) if params == "DAY" else params, rows),
        )
    assert answer.status_code == status
    assert message in answer.json()["errorMessage"]


def test_calls_without_a_live_session_are_401() -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.session_idle_s": 30}) as url:
        assert httpx.get(f"{url}/api/rest/fileexport/teams").status_code == 401
        with _session(url) as http:
            assert http.get("/api/rest/fileexport/teams").status_code == 200
            clock.advance(29)
            assert http.get("/api/rest/authorize").status_code == 200  # activity renews it
            clock.advance(29)
            assert http.get("/api/rest/fileexport/groups").status_code == 200
            clock.advance(31)
            assert http.get("/api/rest/fileexport/groups").status_code == 401
        bad = httpx.post(f"{url}/api/rest/authorize", json={**LOGIN, "tenantId": "other"})
        assert bad.status_code == 401
        assert "sandbox-password" not in bad.text
