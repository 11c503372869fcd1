"""The Search client against a sandbox running one named fault: each ends with every record
(equal to the model) or with an error that says what happened. The sandbox and the client share
one manual clock, so a 90 s storm or a minute-long outage takes no real time."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipelines.sources.errors import IncompleteWindow, MalformedResponse, RateLimited, WxccError
from pipelines.sources.http import RetryPolicy, WxccHttp
from pipelines.sources.search import SearchClient
from sandbox.budget import ManualClock
from sandbox.model import Tenant
from sandbox.server import serve_in_background
from tests.support import SEED, ms, sandbox_tokens

NOW = "2026-11-20T15:30:00"
DAY = (ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00"))
VOLUME = 600  # tasks a day: the day's taskDetails answer takes three pages of 250


class SharedClock(ManualClock):
    """The sandbox's ``time`` and the client's ``now``/``sleep``: a client's sleep moves the
    sandbox's clock on."""

    slept = 0.0

    def now(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.advance(seconds)


def _ids(client: SearchClient) -> list[str]:
    pages = list(client.task_details_pages(*DAY))
    client.page_sizes = [len(p) for p in pages]  # type: ignore[attr-defined]
    return sorted(t["id"] for page in pages for t in page)


def _expected() -> list[str]:
    return sorted(t["id"] for t in Tenant(SEED, VOLUME).tasks(*DAY, ms(NOW)))


def _run(
    tmp_path: Path, faults: str, **sandbox: object
) -> tuple[SearchClient, SharedClock, object]:
    """Page the day through ``faults``; the client (after the run) and the error, if any."""
    clock = SharedClock()
    error: object = None
    with serve_in_background(
        seed=SEED,
        tasks_per_day=VOLUME,
        now_ms=ms(NOW),
        budget_per_minute=0,
        clock=clock,
        faults=faults,
        **sandbox,
    ) as url:
        tokens = sandbox_tokens(url, tmp_path / "state", clock=clock)
        http = WxccHttp(url, token_provider=tokens, clock=clock, retry=RetryPolicy())
        client = SearchClient(http)
        with client:
            try:
                client.ids = _ids(client)  # type: ignore[attr-defined]
            except WxccError as exc:
                error = exc
    return client, clock, error


@pytest.mark.parametrize(
    "fault", ["5xx-burst", "gateway-html", "connection-reset", "token-revoked", "short-page"]
)
def test_survivable_faults_lose_nothing(tmp_path: Path, fault: str) -> None:
    client, _clock, error = _run(tmp_path, fault)
    assert error is None
    assert client.ids == _expected()  # type: ignore[attr-defined]
    met = {
        "5xx-burst": client.stats.http.server_errors,
        "gateway-html": client.stats.http.server_errors,
        "connection-reset": client.stats.http.transport_errors,
        "token-revoked": client.stats.http.reauthentications,
        "short-page": int(client.page_sizes[0] < 250),  # type: ignore[attr-defined]
    }[fault]
    assert met >= 1  # the fault did happen


def test_a_record_repeated_on_the_next_page_is_dropped_once(tmp_path: Path) -> None:
    client, _clock, error = _run(tmp_path, "duplicate-pages")
    assert error is None
    assert client.ids == _expected()  # type: ignore[attr-defined]
    assert client.stats.repeated == 1


def test_a_record_changed_between_pages_fails_the_window(tmp_path: Path) -> None:
    _client, _clock, error = _run(tmp_path, "late-update")
    assert isinstance(error, IncompleteWindow)
    assert "came again with other values" in str(error) and "reload the window" in str(error)


@pytest.mark.parametrize(
    ("fault", "kind", "words"),
    [
        ("repeated-cursor", MalformedResponse, "again after 1 pages; stopping rather than looping"),
        ("graphql-errors", MalformedResponse, "answered with GraphQL errors"),
        ("graphql-partial", MalformedResponse, "answered with GraphQL errors"),
        (
            "count-mismatch",
            IncompleteWindow,
            "the pages held 645 records but the window's count is 648",
        ),
    ],
)
def test_untrustworthy_pages_fail_the_window_clearly(
    tmp_path: Path, fault: str, kind: type[Exception], words: str
) -> None:
    _client, _clock, error = _run(tmp_path, fault)
    assert isinstance(error, kind), error
    assert words in str(error)


@pytest.mark.parametrize(
    ("fault", "most_slept"), [("429-storm", 40.0), ("429-storm-no-retry-after", 70.0)]
)
def test_a_90_second_429_storm_outlasts_the_retries_and_says_so(
    tmp_path: Path, fault: str, most_slept: float
) -> None:
    _client, clock, error = _run(tmp_path, fault)
    assert isinstance(error, RateLimited)
    assert "still rate limited (HTTP 429)" in str(error) and "after 8 attempts" in str(error)
    assert 30 < clock.slept <= most_slept  # waited on the injected clock, then gave up


def test_a_refresh_endpoint_down_for_a_minute_is_waited_out(tmp_path: Path) -> None:
    client, clock, error = _run(tmp_path, "refresh-down")
    assert error is None
    assert client.ids == _expected()  # type: ignore[attr-defined]
    assert client.stats.http.reauthentications == 1
    assert clock.slept >= 60  # the token endpoint's Retry-After, waited on the shared clock


def test_a_refresh_token_rotated_away_fails_clearly_without_the_secret(tmp_path: Path) -> None:
    _client, _clock, error = _run(tmp_path, "refresh-rotated")
    assert isinstance(error, WxccError)
    assert "invalid_grant" in str(error)
    assert "sandbox-refresh" not in str(error) and "sandbox-secret" not in str(error)


def test_a_refresh_token_another_process_rotated_is_adopted_from_the_state_file(
    tmp_path: Path,
) -> None:
    done: list[object] = []

    def other_process() -> None:
        # A second token client on the same state file, as another load of ours would be.
        try:
            with sandbox_tokens(url[0], tmp_path / "state", clock=clock[0]) as other:
                other.invalidate(other.token())
                other.token()
            done.append("refreshed")
        except WxccError as exc:  # the test's assertion says which
            done.append(exc)

    url: list[str] = []
    clock: list[SharedClock] = []
    shared = SharedClock()
    clock.append(shared)
    with serve_in_background(
        seed=SEED,
        tasks_per_day=VOLUME,
        now_ms=ms(NOW),
        budget_per_minute=0,
        clock=shared,
        faults="refresh-rotated",
        options={"faults.other_process": other_process},
    ) as base:
        url.append(base)
        tokens = sandbox_tokens(base, tmp_path / "state", clock=shared)
        with SearchClient(WxccHttp(base, token_provider=tokens, clock=shared)) as client:
            ids = _ids(client)
        for _ in range(500):  # the other process's refresh runs in a thread of the sandbox
            if done:
                break
            threading.Event().wait(0.01)
    assert ids == _expected()
    assert done == ["refreshed"]
    assert client.stats.http.reauthentications == 1
