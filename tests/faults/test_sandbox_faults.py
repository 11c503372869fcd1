"""The named faults in the sandbox app itself: names parse and combine, each fires where it says,
and a storm runs on the sandbox's clock."""

from __future__ import annotations

import pytest

from sandbox.faults import FAULTS, FaultSet, parse_names
from tests.sandbox.test_app import _client, _search, _token


def test_names_parse_combine_and_unknown_ones_are_refused() -> None:
    assert parse_names("none") == [] and parse_names(None) == []
    assert parse_names(" 5xx-burst, token-revoked,5xx-burst") == ["5xx-burst", "token-revoked"]
    assert parse_names(["flaky"]) == ["flaky"]
    with pytest.raises(ValueError, match="unknown fault 'sometimes'; known: none, 429-storm"):
        parse_names("5xx-burst,sometimes")
    assert len(FAULTS) >= 30


def test_combined_faults_each_fire_at_their_request() -> None:
    client, _clock = _client(faults="gateway-html,5xx-burst", budget_per_minute=0)
    token = _token(client)["access_token"]
    statuses = [_search(client, token).status_code for _ in range(8)]
    # 5xx-burst: requests 3-6 (500, 502, 503, 504); gateway-html: the 4th, answered first
    assert statuses == [200, 200, 500, 502, 503, 504, 200, 200]
    page = _search(client, token)
    assert page.status_code == 200
    fired = client.app.state.sandbox.faults.fired  # type: ignore[attr-defined]
    assert fired == {"5xx-burst": 3, "gateway-html": 1}


def test_a_storm_lasts_90_seconds_of_the_sandbox_clock() -> None:
    client, clock = _client(faults="429-storm", budget_per_minute=0)
    token = _token(client)["access_token"]
    first = _search(client, token)
    assert first.status_code == 429 and first.headers["Retry-After"] == "5"
    clock.advance(89)
    assert _search(client, token).status_code == 429
    clock.advance(1)
    assert _search(client, token).status_code == 200


def test_a_revoked_token_gets_401_and_a_new_one_works() -> None:
    client, _clock = _client(faults="token-revoked", budget_per_minute=0)
    old = _token(client)["access_token"]
    assert [_search(client, old).status_code for _ in range(3)] == [200, 200, 401]
    new = _token(client)["access_token"]
    assert _search(client, new).status_code == 200


def test_hostile_ids_rename_a_windows_first_records_and_keep_the_new_names() -> None:
    (fault,) = FaultSet(["hostile-ids"], clock=None).faults
    records: list[dict[str, str]] = [{"id": f"t{i}"} for i in range(5)]
    payload = {"data": {"taskDetails": {"tasks": records}}}
    window = ("query", 0, 86_400_000, None)
    assert fault.page(window, True, records, {}, payload) is payload
    renamed = ["t0-O'Brien", 't1-say "hi"', "t2-'; DROP TABLE search.task_details; --\\"]
    assert [r["id"] for r in records] == [*renamed, "t3", "t4"]
    later = [{"id": "t1"}, {"id": "t9"}]  # t1 served again on a later page
    fault.page(window, False, later, {}, {})
    assert later == [{"id": renamed[1]}, {"id": "t9"}]
    assert fault.planted == {f"t{i}": ("id", new) for i, new in enumerate(renamed)}
    assert fault.set is not None and fault.set.fired == {"hostile-ids": 3}
