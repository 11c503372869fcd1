"""The sandbox's legacy v1 record API: HMAC auth, the query, the cap, JSON and CSV, lookups."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
from typing import Any

import httpx
import orjson
import pytest

from sandbox.app import create_app
from sandbox.budget import ManualClock
from sandbox.legacy.records import RECORD_TYPES
from tests.legacy._support import API_KEY, DAY1, NOW_MS, TENANT_ID, USER_ID
from tests.sandbox._search_support import AsgiClient, tenant


def signed(api_key: str = API_KEY, user: str = USER_ID, tenant_id: str = TENANT_ID) -> dict:
    sig = base64.b64encode(hmac.new(api_key.encode(), user.encode(), hashlib.sha1).digest())
    return {"Authorization": f"{sig.decode()};tenantId={tenant_id}", "From": user}


def app(**kwargs: Any) -> AsgiClient:
    clock = ManualClock(NOW_MS / 1000)
    kwargs.setdefault("budget_per_minute", 0)
    return AsgiClient(create_app(tenant(), now_ms=NOW_MS, clock=clock, **kwargs))


def q(start: int = DAY1[0], end: int = DAY1[1], **more: Any) -> dict[str, str]:
    query = {"dateBegin": [start], "dateEnd": [end], "timezone": "UTC", **more}
    return {"q": orjson.dumps(query).decode()}


def get(
    client: AsgiClient, path: str, headers: dict | None = None, **params: Any
) -> httpx.Response:
    return client.request("GET", path, headers=headers or signed(), params=params or q())


def csr_ids() -> list[str]:
    return sorted(t["id"] for t in tenant().tasks(*DAY1, NOW_MS))


def test_a_signed_query_answers_the_window_as_a_json_array() -> None:
    response = get(app(), "/aws/api/csrs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert sorted(r["sid"] for r in body) == csr_ids()
    assert [r["cstts"] for r in body] == sorted(r["cstts"] for r in body)
    assert all(DAY1[0] <= r["cstts"] < DAY1[1] for r in body)


@pytest.mark.parametrize(
    "headers",
    [
        signed(api_key="not-the-key"),
        signed(user="someone@example.com"),
        signed(tenant_id="other-tenant"),
        {"Authorization": signed()["Authorization"].split(";")[0], "From": USER_ID},
        {"Authorization": signed()["Authorization"]},
        {"Authorization": f"Bearer {signed()['Authorization']}", "From": USER_ID},
        {},
    ],
    ids=["key", "user", "tenant", "no-tenant", "no-from", "bearer", "none"],
)
def test_anything_but_the_right_signature_user_and_tenant_is_401(headers: dict) -> None:
    client = app()
    response = client.request("GET", "/aws/api/csrs", headers=headers, params=q())
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["key"] == "401"
    assert "not valid" in body["error"]["message"][0]["description"]


def test_the_shared_budget_answers_429_with_retry_after() -> None:
    client = app(budget_per_minute=2)
    for _ in range(2):
        assert get(client, "/aws/api/asrs").status_code == 200
    refused = get(client, "/aws/api/asrs")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    # refused credentials spend nothing and are told so before the budget
    assert get(client, "/aws/api/asrs", headers=signed(api_key="x")).status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "{not json"},
        {"q": "[1]"},
        q(DAY1[1], DAY1[0]),
        q(numberOfRecords=0),
        {"q": orjson.dumps({"dateBegin": ["x"], "dateEnd": [DAY1[1]]}).decode()},
    ],
    ids=["missing", "not-json", "not-object", "reversed", "zero-records", "bad-begin"],
)
def test_a_bad_query_is_400(params: dict) -> None:
    client = app()
    response = client.request("GET", "/aws/api/cars", headers=signed(), params=params)
    assert response.status_code == 400
    assert response.json()["error"]["key"] == "400"


def test_answers_stop_silently_at_the_cap_or_the_number_asked() -> None:
    client = app(options={"legacy.record_cap": 10})
    full = get(app(), "/aws/api/cars").json()
    capped = get(client, "/aws/api/cars").json()
    assert capped == full[:10]
    assert get(client, "/aws/api/cars", **q(numberOfRecords=3)).json() == full[:3]
    assert get(client, "/aws/api/cars", **q(numberOfRecords=10**6)).json() == full[:10]


def test_csv_quotes_what_it_must_and_says_the_same_as_json() -> None:
    client = app()
    as_json = get(client, "/aws/api/csrs").json()
    response = get(client, "/aws/api/csrs", headers={**signed(), "Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert tuple(rows[0]) == RECORD_TYPES["csrs"].fields
    assert len(rows) == len(as_json) + 1
    for record, row in zip(as_json, rows[1:], strict=True):
        for name, text in zip(rows[0], row, strict=True):
            value = record[name]
            expected = (
                "" if value is None else str(value).lower() if isinstance(value, bool) else value
            )
            assert text == str(expected), name
    assert any("\n" in (r["transcript"] or "") for r in as_json)
    assert any('"' in (r["callerId"] or "") for r in as_json)
    assert b'""' in response.content  # the quotes of caller ids, doubled


@pytest.mark.parametrize("kind", ["csrs", "cars", "asrs", "aars"])
def test_one_record_by_id(kind: str) -> None:
    client = app()
    records = get(client, f"/aws/api/{kind}", **q(NOW_MS - 3_600_000, NOW_MS)).json()
    assert records, kind
    wanted = records[len(records) // 2]
    key = RECORD_TYPES[kind].key
    response = client.request("GET", f"/aws/api/{kind}/{wanted[key]}", headers=signed())
    assert response.status_code == 200
    assert response.json() == wanted
    missing = client.request("GET", f"/aws/api/{kind}/{wanted[key]}x", headers=signed())
    assert missing.status_code == 404


def test_the_drop_option_loses_csrs_and_only_csrs() -> None:
    client = app(options={"legacy.drop_csr_one_in": 4})
    got = {r["sid"] for r in get(client, "/aws/api/csrs").json()}
    assert got < set(csr_ids())
    assert len(get(client, "/aws/api/cars").json()) == len(get(app(), "/aws/api/cars").json())


def test_an_unknown_record_type_is_404() -> None:
    assert get(app(), "/aws/api/xyzs").status_code == 404
    assert app().request("GET", "/aws/api/xyzs/1", headers=signed()).status_code == 404
