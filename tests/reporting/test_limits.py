"""The endpoints' limits at a volume that reaches them: 24 hours per request, 10,000 activities
per from/to; the client cuts its windows under them and loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.sources.errors import ConfigError
from sandbox.model import Tenant
from sandbox.reporting import model
from tests.reporting.support import DAY1, NOW, reporting_client
from tests.support import SEED, ms

BUSY = 3000  # tasks a day: the afternoon half of a weekday holds ~13,700 agent activities
HOUR = 3_600_000


def test_a_window_over_10000_activities_is_split_and_nothing_is_lost(tmp_path: Path) -> None:
    with reporting_client(tmp_path, tasks_per_day=BUSY) as (client, _url, _clock):
        pm = (DAY1[0] + 12 * HOUR, DAY1[1])
        # The API itself stops at 10,000 records of one from/to, as if complete.
        raw = client._http.request(
            "GET",
            "/v1/agents/activities",
            params={"from": pm[0], "to": pm[1] - 1, "page": 9, "pageSize": 1000},
        ).json()["data"]
        past = client._http.send(
            "GET",
            "/v1/agents/activities",
            params={"from": pm[0], "to": pm[1] - 1, "page": 10, "pageSize": 1000},
        )
        rows = [r for page in client.agent_activities_pages(*DAY1) for r in page]
        splits = client.stats.splits
    assert len(raw) == 1000
    assert past.status_code == 400 and past.json()["trackingId"]
    want = model.activities(Tenant(SEED, BUSY), *DAY1, ms(NOW))
    assert len(want) > 10_000 + 1000  # the volume does reach the cap in one request
    assert splits >= 1
    keys = [(r["agentSessionId"], r["channelId"], r["startTime"]) for r in rows]
    assert len(keys) == len(set(keys)) == len(want)
    assert set(keys) == {(a.session_id, a.channel_id, a.start_time) for a in want}
    assert all(-1 <= r["endTime"] for r in rows)


@pytest.mark.parametrize(
    "path", ["/v1/queues/statistics", "/v1/agents/statistics", "/v1/agents/activities"]
)
def test_a_request_of_24_hours_is_refused_and_a_day_goes_in_pieces(
    tmp_path: Path, path: str
) -> None:
    with reporting_client(tmp_path) as (client, _url, _clock):
        day = client._http.send("GET", path, params={"from": DAY1[0], "to": DAY1[1]})
        almost = client._http.send(
            "GET", path, params={"from": DAY1[0], "to": DAY1[1] - 15 * 60_000}
        )
        pages = {
            "/v1/queues/statistics": client.queue_statistics_pages,
            "/v1/agents/statistics": client.agent_statistics_pages,
            "/v1/agents/activities": client.agent_activities_pages,
        }[path]
        rows = sum(len(p) for p in pages(*DAY1))
        pieces = client.stats.pieces
    assert day.status_code == 400
    assert "24 hours" in day.json()["error"]["message"][0]["description"]
    assert day.json()["trackingId"] and day.headers["TrackingId"] == day.json()["trackingId"]
    assert almost.status_code == 200
    assert pieces == 2 and rows > 0


def test_statistics_round_from_and_to_down_to_15_minutes(tmp_path: Path) -> None:
    with reporting_client(tmp_path) as (client, _url, _clock):
        exact = client._http.request(
            "GET",
            "/v1/queues/statistics",
            params={"from": DAY1[0] + 15 * HOUR, "to": DAY1[0] + 16 * HOUR},
        ).json()["data"]
        rounded = client._http.request(
            "GET",
            "/v1/queues/statistics",
            params={"from": DAY1[0] + 15 * HOUR + 899_999, "to": DAY1[0] + 16 * HOUR + 60_000},
        ).json()["data"]
        hourly = client._http.request(
            "GET",
            "/v1/queues/statistics",
            params={"from": DAY1[0] + 15 * HOUR, "to": DAY1[0] + 16 * HOUR, "interval": 60},
        ).json()["data"]
        bad = client._http.send(
            "GET",
            "/v1/queues/statistics",
            params={"from": DAY1[0], "to": DAY1[0] + HOUR, "interval": 20},
        )
    assert exact == rounded and exact
    assert {r["intervalStartTime"] for r in hourly} == {DAY1[0] + 15 * HOUR}
    for queue in {r["queueId"] for r in exact}:
        mine = [r for r in exact if r["queueId"] == queue]
        hour = next(r for r in hourly if r["queueId"] == queue)
        assert hour["totalOfferedTasks"] == sum(r["totalOfferedTasks"] for r in mine)
        assert isinstance(hour["averageHandledTime"], float)
    assert bad.status_code == 400


def test_the_client_refuses_windows_it_cannot_serve_whole(tmp_path: Path) -> None:
    with reporting_client(tmp_path) as (client, _url, _clock):
        with pytest.raises(ConfigError, match="UTC midnight"):
            next(client.tasks_pages(DAY1[0], DAY1[1] + 1))
        with pytest.raises(ConfigError, match="15-minute"):
            next(client.queue_statistics_pages(DAY1[0] + 1, DAY1[1]))
        assert client.stats.http.requests == 0
