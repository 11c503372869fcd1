"""A task's activities come out of the simulation in start order without sorting them.

``sandbox.timeline`` appends every act in start order (ties in the order they happen) and
inserts the one act that can come late (a recording that starts before a hold or consult) at
its place, so the day needs no sort of every task's acts (a stable sort of them used to run
last, ~5 % of simulating a day). If an act were appended out of order, these fail: the acts
would come out unsorted, where the sort used to put them in order.
"""

from __future__ import annotations

import pytest

from sandbox import timeline
from sandbox.clock import day_start, weekday
from sandbox.entities import rng_for
from sandbox.model import Tenant
from sandbox.timeline import CONSULT, HOLD, simulate_day

# (seed, tasks a day, org-local day): a weekday and a weekend, both DST changes (2026-03-08,
# 2026-11-01: days of 23 and 25 hours).
DAYS = [(42, 2_000, 20_408), (42, 2_000, 20_410), (7, 4_000, 20_520), (7, 4_000, 20_758)]


@pytest.mark.parametrize(("seed", "volume", "day"), DAYS)
def test_acts_are_appended_in_start_order(seed: int, volume: int, day: int) -> None:
    tenant = Tenant(seed, volume)
    plan = simulate_day(tenant.entities, seed, volume, day)
    late_recordings = 0
    for task in plan.tasks:
        starts = [a.start for a in task.acts]
        assert starts == sorted(starts), task.id
        events = [a.event for a in task.acts]
        if "recording-started" in events:
            after = task.acts[events.index("recording-started") + 1 :]
            late_recordings += any(a.kind in (HOLD, CONSULT) for a in after)
    assert late_recordings > 0  # the insertion is exercised, not only the appends


def test_a_flow_too_short_for_its_instants_is_sorted_at_the_end() -> None:
    tenant = Tenant(42, 2_000)
    day = 20_408
    d0 = day_start(day)
    sim = timeline._DaySim(
        tenant.entities, rng_for(1, "order"), d0, day_start(day + 1), weekday(day) >= 5
    )
    ep = tenant.entities.entry_points[0]
    task = timeline.TaskPlan("t", d0, "telephony", "inbound", ep)
    sim._flow(task, d0, 3, timeline._SELF_SERVICE_FLOW)
    assert sim.unordered == [task]
