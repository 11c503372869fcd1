"""The WFO client against the sandbox: paging, async requests and their terminal statuses,
resuming a killed run, session renewal and logout, locales, credentials, the rate budget."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pytest

from pipelines.sources.errors import AuthError, ConfigError, MalformedResponse
from pipelines.sources.wfo import STATE_FILE, PollPolicy, WfoExportFailed, WfoExportPending
from sandbox.wfo.reports import productivity_rows
from tests.support import ms
from tests.wfo.support import DAY1, NOW, SharedClock, client, sandbox, tenant
from warehouse.schemas_wfo import DEFAULT_REPORTS, SNAPSHOTS, report_from_config

PRODUCTIVITY, EVALUATIONS, ADHERENCE = DEFAULT_REPORTS
ORG = "org-1"


def _table(batches: list[pa.RecordBatch], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_batches(batches, schema=schema)


def _expected_productivity_keys() -> list[tuple[str, str, int]]:
    rows = productivity_rows(tenant(), *DAY1, ms(NOW))
    return sorted((r["Agent ID"], r["Channel"], r["Interval Start"]) for r in rows)


def _keys(table: pa.Table) -> list[tuple[str, str, int]]:
    return sorted(
        zip(
            table.column("agent_id").to_pylist(),
            table.column("channel_type").to_pylist(),
            [int(t.timestamp() * 1000) for t in table.column("interval_start").to_pylist()],
            strict=True,
        )
    )


def test_a_report_over_1000_rows_arrives_whole_in_pages(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.sync_max_rows": 10**6}) as url:
        with client(url, tmp_path, clock) as wfo:
            batches = list(wfo.report_pages(PRODUCTIVITY, *DAY1, ORG))
    expected = _expected_productivity_keys()
    assert len(expected) > 1000
    assert [b.num_rows for b in batches] == [1000, len(expected) - 1000]
    assert _keys(_table(batches, PRODUCTIVITY.table.arrow)) == expected
    assert wfo.stats.exports_posted == 2 and wfo.stats.sync_answers == 2


def test_smaller_pages_cover_the_extent(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.force_async": True}) as url:
        with client(url, tmp_path, clock, page_rows=400) as wfo:
            batches = list(wfo.report_pages(PRODUCTIVITY, *DAY1, ORG))
    assert len(batches) == 5
    assert _keys(_table(batches, PRODUCTIVITY.table.arrow)) == _expected_productivity_keys()
    assert wfo.stats.async_requests == 5


class KillOnSleep(SharedClock):
    """A run killed while it waits between polls (the process dies: nothing cleans up)."""

    def sleep(self, seconds: float) -> None:
        raise KeyboardInterrupt


def test_a_run_killed_while_polling_resumes_the_same_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = SharedClock()
    state = tmp_path / "state"
    with sandbox(clock, **{"wfo.force_async": True}) as url:
        killed = client(url, state, KillOnSleep())
        with pytest.raises(KeyboardInterrupt):
            next(killed.report_pages(EVALUATIONS, *DAY1, ORG))
        stored = orjson.loads((state / STATE_FILE).read_bytes())
        assert len(stored) == 1
        request_id = next(iter(stored.values()))["request_id"]
        assert killed.stats.exports_posted == 1
        killed._http.close()  # the process died: no logout, only its sockets go
        with caplog.at_level(logging.INFO, logger="pipelines.sources.wfo"):
            with client(url, state, clock) as again:
                rows = sum(b.num_rows for b in again.report_pages(EVALUATIONS, *DAY1, ORG))
    assert again.stats.requests_resumed == 1
    assert again.stats.exports_posted == 0  # the one page came from the stored request
    assert any(
        request_id in r.getMessage() and "resuming" in r.getMessage() for r in caplog.records
    )
    assert rows > 0
    assert orjson.loads((state / STATE_FILE).read_bytes()) == {}


@pytest.mark.parametrize("status", ["Failed", "Expired"])
def test_failed_and_expired_requests_are_asked_anew(tmp_path: Path, status: str) -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.force_async": True, "wfo.force_statuses": [status]}) as url:
        with client(url, tmp_path, clock) as wfo:
            batches = list(wfo.report_pages(ADHERENCE, *DAY1, ORG))
    assert sum(b.num_rows for b in batches) == 27
    assert wfo.stats.new_requests == 1 and wfo.stats.async_requests == 2
    assert orjson.loads((tmp_path / STATE_FILE).read_bytes()) == {}


def test_a_request_failing_every_time_fails_after_bounded_new_requests(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.force_async": True, "wfo.force_statuses": ["Failed"] * 9}) as url:
        with client(url, tmp_path, clock, max_new_requests=2) as wfo:
            with pytest.raises(WfoExportFailed, match=r"ended Failed, after 2 new requests"):
                list(wfo.report_pages(ADHERENCE, *DAY1, ORG))
    assert wfo.stats.async_requests == 3


@pytest.mark.parametrize(
    ("status", "hint"),
    [("Canceled", "stopped on the WFO side"), ("Blacklisted", "call limit is exceeded")],
)
def test_canceled_and_blacklisted_requests_fail_clearly(
    tmp_path: Path, status: str, hint: str
) -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.force_async": True, "wfo.force_statuses": [status]}) as url:
        with client(url, tmp_path, clock) as wfo:
            with pytest.raises(
                WfoExportFailed, match=rf"wfo.schedule_adherence .*ended {status} \(.*{hint}"
            ):
                list(wfo.report_pages(ADHERENCE, *DAY1, ORG))
    assert wfo.stats.new_requests == 0
    assert wfo.stats.logouts == 1  # a failing run still logs out
    assert orjson.loads((tmp_path / STATE_FILE).read_bytes()) == {}


def test_an_unknown_stored_request_is_asked_anew(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.force_async": True}) as url:
        with client(url, tmp_path, clock) as wfo:
            wfo.store.put(wfo.page_key(ADHERENCE, *DAY1, 0), "gone", 0)
            rows = sum(b.num_rows for b in wfo.report_pages(ADHERENCE, *DAY1, ORG))
    assert rows == 27
    assert wfo.stats.requests_resumed == 1 and wfo.stats.new_requests == 1


def test_polling_backs_off_and_a_slow_request_stays_stored(tmp_path: Path) -> None:
    clock = SharedClock()
    options = {"wfo.force_async": True, "wfo.async_ready_s": 100}
    with sandbox(clock, **options) as url:
        poll = PollPolicy(initial_s=1, max_s=8, timeout_s=30)
        with client(url, tmp_path, clock, poll=poll) as wfo:
            with pytest.raises(WfoExportPending, match="the next run resumes it"):
                list(wfo.report_pages(ADHERENCE, *DAY1, ORG))
        assert clock.sleeps[:6] == [1, 2, 4, 8, 8, 8]
        assert len(orjson.loads((tmp_path / STATE_FILE).read_bytes())) == 1
        clock.advance(100)
        with client(url, tmp_path, clock) as wfo:
            assert sum(b.num_rows for b in wfo.report_pages(ADHERENCE, *DAY1, ORG)) == 27
        assert wfo.stats.requests_resumed == 1 and wfo.stats.exports_posted == 0


def test_an_expired_session_is_renewed_and_the_run_logs_out(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.session_idle_s": 60}) as url:
        with client(url, tmp_path, clock) as wfo:
            first = list(wfo.snapshot_pages("teams", *DAY1, ORG))
            clock.advance(61)
            second = list(wfo.snapshot_pages("teams", *DAY1, ORG))
            session = wfo._session
        assert first == second
        assert wfo.stats.logins == 2 and wfo.stats.renewals == 1 and wfo.stats.logouts == 1
        # logged out: the session is gone
        answer = httpx.get(
            f"{url}/api/rest/authorize", headers={"Cookie": f"hazelcast.sessionId={session}"}
        )
        assert answer.status_code == 401


def test_a_german_session_yields_the_same_columns(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock) as url:
        with client(url, tmp_path / "en", clock) as en:
            english = {
                r.table.name: list(en.report_pages(r, *DAY1, ORG)) for r in DEFAULT_REPORTS
            } | {k: list(en.snapshot_pages(k, *DAY1, ORG)) for k in SNAPSHOTS}
        with client(url, tmp_path / "de", clock, language="de", locale="de_DE") as de:
            german = {
                r.table.name: list(de.report_pages(r, *DAY1, ORG)) for r in DEFAULT_REPORTS
            } | {k: list(de.snapshot_pages(k, *DAY1, ORG)) for k in SNAPSHOTS}
            raw = de._call("GET", "/api/rest/fileexport/groups", context="raw")
    assert raw.text.splitlines()[0] == "Gruppen-ID,Name,Aktivierungsdatum,Deaktivierungsdatum"
    assert german == english
    assert all(sum(b.num_rows for b in v) for v in english.values())


def test_an_unmapped_localized_header_fails_clearly(tmp_path: Path) -> None:
    spec = {
        "table": "adherence_no_german",
        "report_id": 103,
        "qname": "RP1_103_0_scheduleadherence",
        "time_column": "scheduled_start",
        "key": ["agent_id", "scheduled_start"],
        "columns": [
            {"name": "scheduled_start", "header": "Scheduled Start", "type": "instant"},
            {"name": "agent_id", "header": "Agent ID", "type": "String"},
        ],
    }
    report = report_from_config(spec)
    clock = SharedClock()
    with sandbox(clock) as url:
        with client(url, tmp_path / "de", clock, language="de") as de:
            with pytest.raises(MalformedResponse, match=r"no CSV header for column\(s\) "):
                list(de.report_pages(report, *DAY1, ORG))
        with client(url, tmp_path / "en", clock) as en:
            batch = next(en.report_pages(report, *DAY1, ORG))
    assert batch.schema.names == ["org_id", "scheduled_start", "agent_id"]


def test_wrong_credentials_give_a_clear_error_without_the_password(tmp_path: Path) -> None:
    canary = "not-the-password-7c1f"
    clock = SharedClock()
    with sandbox(clock) as url:
        wfo = client(url, tmp_path, clock, password=canary)
        with pytest.raises(AuthError) as err:
            list(wfo.snapshot_pages("groups", *DAY1, ORG))
        wfo.close()
    message = str(err.value)
    assert "WFO login as user 'sandbox'" in message and "WFO_PASSWORD" in message
    assert "401" in message
    assert canary not in message and canary not in repr(err.value)


def test_the_budget_answers_429_and_the_client_waits_it_out(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock, **{"wfo.budget_per_minute": 3}) as url:
        with client(url, tmp_path, clock) as wfo:
            for kind in ("persons", "groups", "teams", "persons"):
                assert list(wfo.snapshot_pages(kind, *DAY1, ORG))
        assert wfo._http.stats.rate_limited >= 1
        assert sum(clock.sleeps) >= 30


def test_the_hourly_budget_holds_too(tmp_path: Path) -> None:
    clock = SharedClock()
    options = {"wfo.budget_per_minute": 0, "wfo.budget_per_hour": 2}
    with sandbox(clock, **options) as url:
        login = {"userId": "sandbox", "password": "sandbox-password", "language": "en"}
        codes = []
        for _ in range(3):
            codes.append(httpx.post(f"{url}/api/rest/authorize", json=login).status_code)
            clock.advance(120)
        answer = httpx.post(f"{url}/api/rest/authorize", json=login)
    assert codes == [200, 200, 429]
    assert int(answer.headers["Retry-After"]) > 3000


def test_the_sandbox_refuses_more_than_1000_rows_an_export(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock) as url:
        with client(url, tmp_path, clock) as wfo:
            wfo.page_rows = 1001
            with pytest.raises(Exception, match="maximum of 1,000 records"):
                list(wfo.report_pages(ADHERENCE, *DAY1, ORG))


def test_windows_must_be_whole_hours(tmp_path: Path) -> None:
    clock = SharedClock()
    with sandbox(clock) as url:
        with client(url, tmp_path, clock) as wfo:
            with pytest.raises(ConfigError, match="whole UTC hours"):
                list(wfo.report_pages(ADHERENCE, DAY1[0], DAY1[0] + 90_000, ORG))
            hourly = sum(
                b.num_rows
                for h in range(24)
                for b in wfo.report_pages(
                    PRODUCTIVITY, DAY1[0] + h * 3_600_000, DAY1[0] + (h + 1) * 3_600_000, ORG
                )
            )
    assert hourly == len(_expected_productivity_keys())
