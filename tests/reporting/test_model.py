"""The family's view of the data model agrees with the Search records it comes from."""

from __future__ import annotations

import math
from collections import Counter

from sandbox.model import Tenant
from sandbox.reporting import model
from tests.reporting.support import DAY1, NOW
from tests.support import SEED, TASKS_PER_DAY, ms

TENANT = Tenant(SEED, TASKS_PER_DAY)
DAY = 86_400_000


def test_queue_statistics_count_the_tasks_of_each_queue_and_interval() -> None:
    stats = model.queue_statistics(TENANT, *DAY1, ms(NOW))
    offered = Counter(
        (t["lastQueue"]["id"], t["createdTime"] // 900_000 * 900_000)
        for t in TENANT.tasks(*DAY1, ms(NOW))
        if t["lastQueue"]["id"] is not None
    )
    assert {
        (s.queue_id, s.interval_start_time): s.total_offered_tasks
        for s in stats
        if s.total_offered_tasks
    } == dict(offered)
    for s in stats:
        assert s.total_accepted_tasks + s.total_abandoned_tasks <= s.total_offered_tasks
        assert 0.0 <= s.service_level_threshold_percentage <= 100.0
        assert isinstance(s.average_handled_time, float)


def test_agent_state_time_is_counted_once_where_the_state_ended() -> None:
    now = ms(NOW)
    stats = model.agent_statistics(TENANT, *DAY1, now)
    counted = sum(
        c.total_engaged_duration
        + c.total_hold_duration
        + c.total_wrap_up_duration
        + c.total_available_time
        + c.total_un_available_time
        for s in stats
        for c in s.channels
    )
    spans = model.activities(TENANT, DAY1[0] - DAY, DAY1[1], now)
    ended = sum(
        a.end_time - a.start_time
        for a in spans
        if a.end_time is not None and DAY1[0] <= a.end_time < DAY1[1] and a.state != "ringing"
    )
    assert counted == ended > 0


def test_offers_are_counted_where_they_were_made_and_accepted_at_most_once() -> None:
    now = ms(NOW)
    both = model.agent_statistics(TENANT, DAY1[0], DAY1[1] + DAY, now)
    offered = sum(c.total_offered_tasks for s in both for c in s.channels)
    accepted = sum(c.total_accepted_tasks for s in both for c in s.channels)
    rings = [
        a for a in model.activities(TENANT, DAY1[0], DAY1[1] + DAY, now) if a.state == "ringing"
    ]
    assert 0 < accepted <= offered <= len(rings)


def test_tasks_keep_the_search_records_values() -> None:
    for csr in TENANT.tasks(*DAY1, ms(NOW)):
        view = model.task_view(csr)
        assert view.id == csr["id"] and view.created_time == csr["createdTime"]
        assert view.queue_id == csr["lastQueue"]["id"]
        assert view.owner_id == csr["owner"]["id"]
        assert view.capture_requested == csr["captureRequested"]
        if csr["status"] == "ended":
            assert view.status in ("completed", "abandoned")
            assert (view.status == "abandoned") == (csr["abandonedType"] is not None)


def test_recordings_exist_once_available_and_only_for_captured_tasks() -> None:
    now = ms(NOW)
    captured = {p.id for p in model.capture_tasks(TENANT, *DAY1, now)}
    requested = {t["id"] for t in TENANT.tasks(*DAY1, now) if t["captureRequested"]}
    assert captured == requested and captured
    index = model.CaptureIndex(TENANT)
    for task_id in list(captured)[:20]:
        plan = index.plan(task_id, now)
        assert plan is not None
        for rec in model.recordings_of(plan, now):
            assert rec.start_time <= rec.stop_time
            assert len(rec.content()) == rec.size
            assert rec.content(100, 50) == rec.content()[100:150]
        assert model.recordings_of(plan, plan.created) == []  # not yet available
    assert index.plan("no-such-task", now) is None


def test_queue_handle_time_and_service_level_follow_the_openapi_definitions() -> None:
    """averageHandledTime: connected time over handled contacts, no wrap-up, where the contact
    ended; serviceLevelThresholdPercentage: handled contacts within the threshold over handled
    contacts, where the contact started (abandons count neither way)."""
    now = ms(NOW)
    stats = {
        (s.queue_id, s.interval_start_time): s for s in model.queue_statistics(TENANT, *DAY1, now)
    }
    connected: dict[tuple[str, int], list[int]] = {}
    in_sl: dict[tuple[str, int], list[bool]] = {}
    for t in TENANT.tasks(DAY1[0] - DAY, DAY1[1], now):
        queue = t["lastQueue"]["id"]
        handled = bool(t["isContactHandled"]) and t["abandonedType"] is None
        if queue is None or not handled:
            continue
        if t["endedTime"] is not None and DAY1[0] <= t["endedTime"] < DAY1[1]:
            connected.setdefault((queue, t["endedTime"] // 900_000 * 900_000), []).append(
                t["connectedDuration"]
            )
        if DAY1[0] <= t["createdTime"] < DAY1[1] and t["isWithInServiceLevel"] is not None:
            in_sl.setdefault((queue, t["createdTime"] // 900_000 * 900_000), []).append(
                t["isWithInServiceLevel"]
            )
    assert connected and in_sl
    for key, values in connected.items():
        assert math.isclose(stats[key].average_handled_time, sum(values) / len(values))
    for key, flags in in_sl.items():
        assert math.isclose(
            stats[key].service_level_threshold_percentage, 100.0 * sum(flags) / len(flags)
        )
