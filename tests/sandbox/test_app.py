"""The sandbox HTTP app: OAuth, bearer checks, the rate budget, errors, compression, faults."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from queries import graphql as project_query
from sandbox.app import Faults, create_app
from sandbox.auth import CLIENT_ID, CLIENT_SECRET, TokenService
from sandbox.budget import ManualClock, RateBudget
from sandbox.server import serve_in_background
from tests.sandbox._search_support import DAY_END, DAY_START, NOW_MS, AsgiClient, tenant

GRANT = {
    "grant_type": "refresh_token",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "refresh_token": "sandbox-refresh",
}
COUNT = project_query("task_details_count")
WINDOW = {"from": DAY_START, "to": DAY_END}


def _client(**kwargs: Any) -> tuple[AsgiClient, ManualClock]:
    clock = kwargs.pop("clock", None) or ManualClock(NOW_MS / 1000)
    app = create_app(tenant(), now_ms=NOW_MS, clock=clock, **kwargs)
    return AsgiClient(app), clock


def _token(client: AsgiClient, **overrides: str) -> dict[str, Any]:
    response = client.post("/v1/access_token", data={**GRANT, **overrides})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _search(client: AsgiClient, token: str, query: str = COUNT, **kwargs: Any) -> httpx.Response:
    return client.post(
        "/search",
        json={"query": query, "variables": kwargs.pop("variables", WINDOW)},
        headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})},
        **kwargs,
    )


def _assert_rest_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert set(body) == {"trackingId", "error"}
    uuid.UUID(body["trackingId"])
    assert body["error"]["key"] == str(status)
    assert isinstance(body["error"]["message"][0]["description"], str)
    assert response.headers["TrackingId"] == body["trackingId"]
    return body


# -- OAuth -----------------------------------------------------------------------------------


def test_refresh_grant_form_encoded() -> None:
    client, _clock = _client()
    body = _token(client)
    assert set(body) == {
        "access_token",
        "expires_in",
        "refresh_token",
        "refresh_token_expires_in",
        "token_type",
        "scope",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1_209_600 and body["refresh_token_expires_in"] == 7_776_000
    token, cluster, org = body["access_token"].split("_")
    assert token and cluster and org == tenant().org_id
    assert _search(client, body["access_token"]).status_code == 200


def test_refresh_grant_json_and_rotation() -> None:
    client, _clock = _client()
    first = client.post("/v1/access_token", json=GRANT).json()
    second = _token(client, refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    third = _token(client, refresh_token=second["refresh_token"])
    assert _search(client, third["access_token"]).status_code == 200
    _token(client)  # the bootstrap refresh token stays valid


def test_tokens_survive_a_restart_of_the_same_tenant() -> None:
    client, _clock = _client()
    issued = _token(client)
    restarted, _ = _client()
    assert _search(restarted, issued["access_token"]).status_code == 200
    _token(restarted, refresh_token=issued["refresh_token"])


@pytest.mark.parametrize(
    ("override", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "someone"}, 401, "invalid_client"),
        ({"refresh_token": "made-up"}, 400, "invalid_grant"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
    ],
)
def test_wrong_credentials(override: dict[str, str], status: int, error: str) -> None:
    client, _clock = _client()
    response = client.post("/v1/access_token", data={**GRANT, **override})
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["errors"][0]["description"]
    assert "sandbox-secret" not in response.text


def test_access_token_expires_after_its_lifetime() -> None:
    client, clock = _client(token_lifetime_s=600)
    body = _token(client)
    assert body["expires_in"] == 600
    clock.advance(599)
    assert _search(client, body["access_token"]).status_code == 200
    clock.advance(1)
    _assert_rest_error(_search(client, body["access_token"]), 401)
    fresh = _token(client, refresh_token=body["refresh_token"])
    assert _search(client, fresh["access_token"]).status_code == 200


def test_refresh_tokens_expire_too() -> None:
    client, clock = _client()
    body = _token(client)
    clock.advance(7_776_000)
    assert (
        client.post(
            "/v1/access_token", data={**GRANT, "refresh_token": body["refresh_token"]}
        ).status_code
        == 400
    )


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nonsense", "Basic abc", "Bearer AAAA_P0A1_" + "0" * 36],
)
def test_missing_or_unknown_bearer_is_401(authorization: str | None) -> None:
    client, _clock = _client()
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post("/search", json={"query": COUNT, "variables": WINDOW}, headers=headers)
    _assert_rest_error(response, 401)


def test_token_of_another_org_is_refused() -> None:
    other = TokenService("11111111-2222-4333-8444-555555555555", ManualClock(NOW_MS / 1000))
    client, _clock = _client()
    _assert_rest_error(_search(client, other.issue_access_token()), 401)


def test_org_id_parameter_must_match_the_token() -> None:
    client, _clock = _client()
    token = _token(client)["access_token"]
    ok = client.post(
        f"/search?orgId={tenant().org_id}",
        json={"query": COUNT, "variables": WINDOW},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert ok.status_code == 200
    other = client.post(
        "/search?orgId=someone-else",
        json={"query": COUNT, "variables": WINDOW},
        headers={"Authorization": f"Bearer {token}"},
    )
    _assert_rest_error(other, 403)


# -- rate budget -----------------------------------------------------------------------------


def test_budget_429_with_retry_after_then_recovery() -> None:
    client, clock = _client(budget_per_minute=3)
    token = _token(client)["access_token"]
    for _ in range(3):
        assert _search(client, token).status_code == 200
        clock.advance(10)
    refused = _search(client, token)
    _assert_rest_error(refused, 429)
    assert refused.headers["Retry-After"] == "30"  # the first request leaves the window at t=60
    _token(client)  # the token endpoint is not rate limited
    clock.advance(29)
    assert _search(client, token).status_code == 429
    clock.advance(1)
    assert _search(client, token).status_code == 200
    assert _search(client, token).status_code == 429


def test_budget_counts_per_client_not_per_token() -> None:
    client, _clock = _client(budget_per_minute=2)
    a, b = _token(client)["access_token"], _token(client)["access_token"]
    assert _search(client, a).status_code == 200
    assert _search(client, b).status_code == 200
    assert _search(client, a).status_code == 429


def test_zero_budget_is_unlimited() -> None:
    budget = RateBudget(0, ManualClock())
    assert all(budget.acquire("x") is None for _ in range(1000))


# -- /search transport -----------------------------------------------------------------------


def test_bad_bodies_are_400_rest_errors() -> None:
    client, _clock = _client()
    token = _token(client)["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for content in (b"not json", b"[]", b'{"variables": {}}', b'{"query": "{}", "variables": 3}'):
        _assert_rest_error(client.post("/search", content=content, headers=headers), 400)


def test_graphql_validation_errors_are_400_with_errors_list() -> None:
    client, _clock = _client()
    token = _token(client)["access_token"]
    response = _search(client, token, "{ taskDetails(from: 1, to: 2) { tasks { idd } } }")
    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["classification"] == "ValidationError"
    assert error["locations"] == [{"line": 1, "column": 41}]


def test_tracking_id_is_echoed() -> None:
    client, _clock = _client()
    token = _token(client)["access_token"]
    tid = "INTEGRATION-9bcdc696-57fa-4e91-b5aa-57a66a347c23"
    assert _search(client, token, headers={"TrackingId": tid}).headers["TrackingId"] == tid


def test_large_answers_are_gzipped_only_when_asked() -> None:
    client, _clock = _client()
    token = _token(client)["access_token"]
    variables = {**WINDOW, "cursor": None}
    page = project_query("task_details")
    plain = _search(
        client, token, page, variables=variables, headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert len(plain.content) > 1024 * 1024
    packed = _search(client, token, page, variables=variables, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert orjson.loads(packed.content) == orjson.loads(plain.content)  # httpx decoded it
    small = _search(client, token, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


def test_raw_gzip_bytes() -> None:
    client, _clock = _client()
    token = _token(client)["access_token"]
    response, raw = client.raw(
        "POST",
        "/search",
        json={"query": project_query("task_details"), "variables": {**WINDOW, "cursor": None}},
        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
    )
    assert response.headers["content-encoding"] == "gzip"
    assert orjson.loads(gzip.decompress(raw))["data"]["taskDetails"]["pageInfo"]["hasNextPage"]


def test_413_is_a_rest_error() -> None:
    client, _clock = _client()
    token = _token(client)["access_token"]
    q = """query ($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to,
        extFilter: {activities: {nodes: {eventName: {equals: "no-such-event"}}}}) { tasks { id } } }"""
    response = _search(client, token, q, variables={"from": NOW_MS - 8 * 86_400_000, "to": NOW_MS})
    _assert_rest_error(response, 413)


def test_unknown_paths_and_methods() -> None:
    client, _clock = _client()
    _assert_rest_error(client.get("/nope"), 404)
    _assert_rest_error(client.get("/search"), 405)
    health = client.get("/healthz").json()
    assert health["orgId"] == tenant().org_id and health["nowMs"] == NOW_MS


def test_latency_does_not_change_answers() -> None:
    client, _clock = _client(latency_ms=1)
    token = _token(client)["access_token"]
    assert _search(client, token).status_code == 200


# -- faults ------------------------------------------------------------------------------------


def test_fault_profiles() -> None:
    with pytest.raises(ValueError, match="unknown fault profile"):
        Faults("sometimes")
    assert {Faults("none").draw() for _ in range(200)} == {None}
    flaky = Faults("flaky", seed=3)
    statuses = [flaky.draw() for _ in range(2000)]
    assert {503, 500, None} == set(statuses)
    assert 0.03 < statuses.count(503) / 2000 < 0.08
    again = Faults("flaky", seed=3)
    assert [again.draw() for _ in range(2000)] == statuses  # reproducible


def test_flaky_app_serves_5xx_with_rest_bodies() -> None:
    client, _clock = _client(faults="flaky", budget_per_minute=0)
    token = _token(client)["access_token"]
    seen: dict[int, int] = {}
    for _ in range(200):
        response = _search(client, token)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        if response.status_code == 503:
            _assert_rest_error(response, 503)
            assert response.headers["Retry-After"] == "1"
        elif response.status_code == 500:
            _assert_rest_error(response, 500)
    assert seen.get(200, 0) > 150 and (seen.get(503, 0) + seen.get(500, 0)) > 0


# -- running it ------------------------------------------------------------------------------


def test_background_server_over_real_http() -> None:
    with serve_in_background(tenant=tenant(), now_ms=NOW_MS) as url:
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url) as http:
            token = http.post("/v1/access_token", data=GRANT).json()["access_token"]
            response = http.post(
                "/search",
                json={"query": COUNT, "variables": WINDOW},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200
            assert response.json()["data"]["taskDetails"]["tasks"][0]["aggregation"]


def test_cli_serve_prints_its_url_first_and_stops_on_sigterm(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("wxcc-sandbox")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sandbox.cli"]
    proc = subprocess.Popen(
        [*cmd, "serve", "--port", "0", "--now", "2025-11-20T15:00:00Z", "--tasks-per-day", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().rstrip("\n")
        assert line.startswith("sandbox listening on http://127.0.0.1:")
        url = line.removeprefix("sandbox listening on ")
        port = int(url.rsplit(":", 1)[1])
        assert port > 0
        with httpx.Client(base_url=url, timeout=10) as http:
            for _ in range(100):
                try:
                    health = http.get("/healthz")
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)
            assert health.json()["nowMs"] == NOW_MS
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_options_from_a_config_file(tmp_path: Path) -> None:
    from sandbox.cli import _options, _parser, parse_instant

    config = tmp_path / "sandbox.yaml"
    config.write_text(
        "sandbox:\n  seed: 3\n  tasks-per-day: 10\n  budget: 0\n  now: 2025-11-20T15:00:00Z\n"
    )
    args = _parser().parse_args(["serve", "--config", str(config), "--budget", "5"])
    opts = _options(args, ["seed", "tasks_per_day", "budget", "now", "faults", "port"])
    assert opts == {
        "seed": 3,
        "tasks_per_day": 10,
        "budget": 5,
        "now": NOW_MS,
        "faults": "none",
        "port": 0,
    }
    assert parse_instant("2025-11-20T10:00:00-05:00") == NOW_MS
    assert parse_instant("2025-11-20T15:00:00") == NOW_MS


def test_cli_refuses_unknown_fault_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    from sandbox.cli import main

    assert main(["serve", "--faults", "sometimes"]) == 2
    assert "unknown fault 'sometimes'; known: none, 429-storm" in capsys.readouterr().err


def test_cli_truth_writes_the_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sandbox.cli import main

    out = tmp_path / "truth"
    argv = ["truth", "--seed", "7", "--tasks-per-day", "20", "--now", "2025-11-20T15:00:00Z"]
    argv += ["--from", "2025-11-19T05:00:00Z", "--to", "2025-11-20T05:00:00Z", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out.split()
    assert printed and all(Path(p).exists() for p in printed)
    assert any(p.endswith("search.task_details.parquet") for p in printed)


def test_extra_client_secrets_can_be_accepted() -> None:
    client, _clock = _client(client_secrets=("sandbox-secret", "canary-secret"))
    _token(client, client_secret="canary-secret")
    _token(client)
    plain, _ = _client()
    assert (
        plain.post("/v1/access_token", data={**GRANT, "client_secret": "canary-secret"}).status_code
        == 401
    )
