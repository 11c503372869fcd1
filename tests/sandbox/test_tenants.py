"""Several orgs from one sandbox process: own ids, credentials and budgets; one history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson

from queries import graphql as project_query
from sandbox.budget import ManualClock
from sandbox.cli import _options, _parser
from sandbox.tenants import MultiOrgApp, create_multi_org_app, org_identity
from tests.sandbox._search_support import DAY_END, DAY_START, NOW_MS, AsgiClient, tenant

COUNT = project_query("task_details_count")
WINDOW = {"from": DAY_START, "to": DAY_END}


def _grant(k: int) -> dict[str, str]:
    suffix = "" if k == 1 else f"-{k}"
    return {
        "grant_type": "refresh_token",
        "client_id": f"sandbox-client{suffix}",
        "client_secret": f"sandbox-secret{suffix}",
        "refresh_token": f"sandbox-refresh{suffix}",
    }


def _app(orgs: int = 3, budget: int = 0) -> tuple[MultiOrgApp, AsgiClient, ManualClock]:
    clock = ManualClock(NOW_MS / 1000)
    app = create_multi_org_app(tenant(), orgs, now_ms=NOW_MS, clock=clock, budget_per_minute=budget)
    return app, AsgiClient(app), clock


def _token(client: AsgiClient, k: int, **overrides: str) -> httpx.Response:
    return client.post("/v1/access_token", data={**_grant(k), **overrides})


def _search(client: AsgiClient, token: str, org: str | None = None) -> httpx.Response:
    return client.post(
        "/search" + (f"?orgId={org}" if org else ""),
        json={"query": COUNT, "variables": WINDOW},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_each_org_has_its_own_id_and_integration() -> None:
    app, client, _clock = _app()
    ids = [o.org_id for o in app.orgs]
    assert ids[0] == tenant().org_id
    assert ids[1] == org_identity(tenant().org_id, 2).org_id
    assert len(set(ids)) == 3
    assert [o.tokens.client_id for o in app.orgs] == [
        "sandbox-client",
        "sandbox-client-2",
        "sandbox-client-3",
    ]
    for k, org_id in enumerate(ids, start=1):
        response = _token(client, k)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["access_token"].endswith(f"_{org_id}")
        assert body["refresh_token"].endswith(f"_{org_id}")
        # the rotated refresh token works for its own org's client
        again = _token(client, k, refresh_token=body["refresh_token"])
        assert again.status_code == 200, again.text
    # JSON token requests are routed by their client id too
    as_json = client.post("/v1/access_token", json=_grant(2))
    assert as_json.status_code == 200
    assert as_json.json()["access_token"].endswith(f"_{ids[1]}")


def test_one_orgs_credentials_do_not_open_another() -> None:
    app, client, _clock = _app()
    # org 2's client with org 1's secret, and an unknown client: the service's 401
    assert _token(client, 2, client_secret="sandbox-secret").status_code == 401
    assert _token(client, 2, client_id="sandbox-client-9").json()["error"] == "invalid_client"
    # a refresh token org 1 issued, presented by org 2's client: not this client's grant
    org1_refresh = _token(client, 1).json()["refresh_token"]
    refused = _token(client, 2, refresh_token=org1_refresh)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert _token(client, 2, refresh_token="sandbox-refresh").status_code == 400


def test_a_token_is_refused_for_another_org() -> None:
    app, client, _clock = _app()
    org1, org2 = app.orgs[0].org_id, app.orgs[1].org_id
    token2 = _token(client, 2).json()["access_token"]
    assert _search(client, token2).status_code == 200
    assert _search(client, token2, org2).status_code == 200
    forbidden = _search(client, token2, org1)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["message"][0]["description"] == (
        f"Access to org {org1} is forbidden for this token."
    )
    # org 2's token relabelled as org 1's: org 1 did not sign it
    forged = token2.rsplit("_", 1)[0] + f"_{org1}"
    assert _search(client, forged).status_code == 401
    assert _search(client, "not-a-token").status_code == 401


def test_every_org_answers_the_same_days() -> None:
    app, client, _clock = _app()
    answers = []
    for k in (1, 2, 3):
        token = _token(client, k).json()["access_token"]
        response = _search(client, token)
        assert response.status_code == 200
        answers.append(orjson.loads(response.content))
    assert answers[0] == answers[1] == answers[2]
    (count,) = answers[0]["data"]["taskDetails"]["tasks"][0]["aggregation"]
    assert count["name"] == "count" and count["value"] > 100
    # one answer cache: the engine is the first org's
    assert app.orgs[1].engine is app.orgs[0].engine is app.orgs[2].engine


def test_each_org_spends_its_own_budget_and_health_counts_it() -> None:
    app, client, clock = _app(orgs=2, budget=2)
    token1, token2 = (_token(client, k).json()["access_token"] for k in (1, 2))
    assert [_search(client, token1).status_code for _ in range(3)] == [200, 200, 429]
    assert [_search(client, token2).status_code for _ in range(2)] == [200, 200]
    assert _search(client, token2).status_code == 429
    clock.advance(60)
    assert _search(client, token1).status_code == 200
    health: dict[str, Any] = client.get("/healthz").json()
    assert health["orgId"] == app.orgs[0].org_id
    assert health["orgs"] == [
        {
            "orgId": app.orgs[0].org_id,
            "clientId": "sandbox-client",
            "responses": {"200": 3, "429": 1},
        },
        {
            "orgId": app.orgs[1].org_id,
            "clientId": "sandbox-client-2",
            "responses": {"200": 2, "429": 1},
        },
    ]


def test_cli_orgs_option_and_config_key(tmp_path: Path) -> None:
    keys = ["orgs"]
    assert _options(_parser().parse_args(["serve"]), keys)["orgs"] == 1
    assert _options(_parser().parse_args(["serve", "--orgs", "20"]), keys)["orgs"] == 20
    config = tmp_path / "sandbox.yaml"
    config.write_text("sandbox:\n  orgs: 5\n", encoding="utf-8")
    assert _options(_parser().parse_args(["serve", "--config", str(config)]), keys)["orgs"] == 5
    # the pipeline's WXCC_CONFIG given as --config: its org list is not a count of orgs
    pipeline_config = tmp_path / "wxcc.yaml"
    pipeline_config.write_text("orgs:\n  - name: acme\n", encoding="utf-8")
    args = _parser().parse_args(["serve", "--config", str(pipeline_config)])
    assert _options(args, keys)["orgs"] == 1
