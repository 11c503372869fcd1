"""The sandbox's /v1/tasks and errors, and the client's paging of it (also against a fake)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from pipelines.sources.errors import ApiError, MalformedResponse
from pipelines.sources.http import RetryPolicy, WxccHttp
from pipelines.sources.reporting import ReportingClient
from sandbox.model import Tenant
from tests.reporting.support import DAY1, NOW, SharedClock, reporting_client
from tests.support import SEED, TASKS_PER_DAY, ms

TENANT = Tenant(SEED, TASKS_PER_DAY)


def _model_tasks() -> list[dict[str, Any]]:
    return list(TENANT.tasks(*DAY1, ms(NOW)))


def test_tasks_answer_like_the_service(tmp_path: Path) -> None:
    with reporting_client(tmp_path) as (client, _url, _clock):
        first = client._http.request("GET", "/v1/tasks", params={"from": DAY1[0], "to": DAY1[1]})
        voice = client._http.request(
            "GET",
            "/v1/tasks",
            params={"from": DAY1[0], "to": DAY1[1], "channelTypes": "telephony", "pageSize": 1000},
        )
        refused = {
            name: client._http.send("GET", "/v1/tasks", params=params)
            for name, params in {
                "no from": {"to": DAY1[1]},
                "page size 0": {"from": DAY1[0], "pageSize": 0},
                "page size 1001": {"from": DAY1[0], "pageSize": 1001},
                "bad channel": {"from": DAY1[0], "channelTypes": "fax"},
            }.items()
        }
    body = first.json()
    assert set(body) == {"meta", "data"}  # no paging metadata
    assert body["meta"] == {"orgId": TENANT.org_id}
    data = body["data"]
    assert len(data) == 100  # the default page size
    created = [t["attributes"]["createdTime"] for t in data]
    assert created == sorted(created)
    assert [t["id"] for t in data] == [t["id"] for t in _model_tasks()[:100]]
    voice_data = voice.json()["data"]
    assert voice_data and {t["attributes"]["channelType"] for t in voice_data} == {"telephony"}
    by_id = {t["id"]: t for t in _model_tasks()}
    for t in data:
        model = by_id[t["id"]]
        if model["owner"]["id"] is None:
            assert "owner" not in t["attributes"]  # a task no agent had has no owner
        else:
            assert t["attributes"]["owner"] == {
                "id": model["owner"]["id"],
                "name": model["owner"]["name"],
            }
    assert any(by_id[t["id"]]["owner"]["id"] is None for t in voice_data)
    for name, response in refused.items():
        assert response.status_code == 400, name
        assert response.json()["trackingId"] == response.headers["TrackingId"], name


def test_small_pages_move_from_forward_and_lose_nothing(tmp_path: Path) -> None:
    with reporting_client(tmp_path, client_options={"page_size": 7}) as (client, _url, _clock):
        ids = [t["id"] for page in client.tasks_pages(*DAY1) for t in page]
    assert ids == [t["id"] for t in _model_tasks()]
    assert client.stats.pages > len(ids) // 7


def test_the_shared_budget_answers_429_with_retry_after(tmp_path: Path) -> None:
    clock = SharedClock()
    with reporting_client(tmp_path, clock=clock, budget_per_minute=2) as (client, url, _clock):
        token = client._http.token_provider.token()  # type: ignore[union-attr]
        headers = {"Authorization": f"Bearer {token}"}
        answers = [
            httpx.get(f"{url}/v1/tasks", params={"from": DAY1[0]}, headers=headers)
            for _ in range(3)
        ]
        anonymous = httpx.get(f"{url}/v1/agents/activities", params={"from": DAY1[0]})
        # The client waits the budget out and still gets every task.
        ids = [t["id"] for page in client.tasks_pages(*DAY1) for t in page]
    assert [a.status_code for a in answers] == [200, 200, 429]
    limited = answers[2]
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.json()["trackingId"] and limited.json()["error"]["key"] == "429"
    assert anonymous.status_code == 401 and anonymous.json()["trackingId"]
    assert len(ids) == len(_model_tasks())
    assert client.stats.http.rate_limited > 0 and clock.slept > 0


def _fake(pages: list[list[dict[str, Any]]], seen: list[dict[str, str]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        body = {"meta": {"orgId": "o"}, "data": pages[len(seen) - 1]}
        return httpx.Response(200, content=orjson.dumps(body))

    return httpx.MockTransport(handler)


def _task(task_id: str, created: int) -> dict[str, Any]:
    return {"id": task_id, "attributes": {"createdTime": created, "captureRequested": False}}


def _client(transport: httpx.MockTransport, **options: Any) -> ReportingClient:
    http = WxccHttp("https://api.example", transport=transport, retry=RetryPolicy(max_attempts=1))
    return ReportingClient(http, **options)


def test_ties_across_a_page_boundary_are_neither_lost_nor_repeated() -> None:
    t0 = DAY1[0]
    pages = [
        [_task("a", t0 + 1), _task("b", t0 + 5), _task("c", t0 + 5)],
        [_task("b", t0 + 5), _task("c", t0 + 5), _task("d", t0 + 5)],
        [_task("b", t0 + 5), _task("c", t0 + 5), _task("d", t0 + 5)],
    ]
    seen: list[dict[str, str]] = []
    with pytest.raises(MalformedResponse, match="no new task"):
        [t["id"] for p in _client(_fake(pages, seen), page_size=3).tasks_pages(*DAY1) for t in p]
    pages[2] = [_task("d", t0 + 5), _task("e", t0 + 9)]
    seen.clear()
    ids = [t["id"] for p in _client(_fake(pages, seen), page_size=3).tasks_pages(*DAY1) for t in p]
    assert ids == ["a", "b", "c", "d", "e"]
    assert [s["from"] for s in seen] == [str(t0), str(t0 + 5), str(t0 + 5)]
    assert all(s["to"] == str(DAY1[1]) and s["pageSize"] == "3" for s in seen)


def test_malformed_answers_are_errors_not_empty_windows() -> None:
    seen: list[dict[str, str]] = []
    bad = [[{"id": "a"}]]  # no attributes
    with pytest.raises(MalformedResponse, match="attributes"):
        list(_client(_fake(bad, seen)).tasks_pages(*DAY1))

    def not_json(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>")

    client = _client(httpx.MockTransport(not_json))
    with pytest.raises(MalformedResponse, match="not JSON"):
        list(client.agent_activities_pages(*DAY1))

    def no_channels(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=orjson.dumps({"data": [{"agentId": "x"}]}))

    with pytest.raises(MalformedResponse, match="channels"):
        list(_client(httpx.MockTransport(no_channels)).agent_statistics_pages(*DAY1))


def test_a_refused_request_names_the_window_and_the_tracking_id() -> None:
    def refuse(_request: httpx.Request) -> httpx.Response:
        body = {"trackingId": "T-1", "error": {"key": "400", "message": [{"description": "no"}]}}
        return httpx.Response(400, content=orjson.dumps(body))

    with pytest.raises(ApiError, match="2026-11-18") as caught:
        list(_client(httpx.MockTransport(refuse)).queue_statistics_pages(*DAY1))
    assert caught.value.tracking_id == "T-1"


def test_agent_statistics_rows_are_one_per_channel(tmp_path: Path) -> None:
    with reporting_client(tmp_path) as (client, _url, _clock):
        raw = client._http.request(
            "GET",
            "/v1/agents/statistics",
            params={"from": DAY1[0] + 12 * 3_600_000, "to": DAY1[1]},
        ).json()["data"]
        rows = [
            r for p in client.agent_statistics_pages(DAY1[0] + 12 * 3_600_000, DAY1[1]) for r in p
        ]
    assert len(rows) == sum(len(a["channels"]) for a in raw) > len(raw)
    assert all("channels" not in r and r["agentId"] and r["channelType"] for r in rows)
