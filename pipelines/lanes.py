"""How many processes (lanes) an org's run of a job takes, and the steps they share.

An org's Search job in one process runs its six feeds one after the other, each with one window
(day) in flight per day loaded: two days are two requests in flight, ~6.7 requests a second at
300 ms of latency against a budget of 5, so every client delay is budget lost; and its Python
runs on one core. So the Search job of an org runs in two lanes (two processes, drawing on the
org's one budget ledger): each lane takes the next group of feeds when it is free, and the lane
that ends last runs the job's other assets (the analytics marts, which read tables of every
group). The groups are taken largest first, so whatever paces a load (the budget's requests, or
the CPU when the budget is unlimited) the two lanes end close together (bench/README.md,
"Two lanes per org").

No Dagster here: the CLI sizes its pre-started processes from this before importing Dagster.
"""

from __future__ import annotations

import os

# Feed groups of the Search job, in the order lanes take them. Measured at 15,000 tasks a day
# (2 days, unlimited budget; CPU s, requests): agent_activity 4.4 s and 899 requests (its
# further activity pages), agent_session 0.4 s and 4, task_activity 7.8 s and 141,
# task_details 5.9 s and 141, task 2.1 s and 349, task_leg_details 2.9 s and 74. Taken in this
# order by two lanes, the requests split 903 / 705 and the CPU 10.7 / 12.8 s.
STEPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "search_job": (
        ("agent_activity", "agent_session"),
        ("task_activity",),
        ("task_details",),
        ("task", "task_leg_details"),
    ),
}
LANES = {"search_job": 2}  # processes an org's run of the job takes; other jobs: one
# Each lane is a process of ~500-700 MiB RSS: a machine short of memory for many orgs sets 1.
LANES_VARIABLE = "WXCC_SEARCH_LANES"


def count(job_name: str) -> int:
    """Lanes (processes) one org's run of ``job_name`` takes at once."""
    if job_name not in LANES:
        return 1
    value = os.environ.get(LANES_VARIABLE)
    if value is None:
        return LANES[job_name]
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{LANES_VARIABLE} must be a whole number >= 1, not {value!r}")
    # A lane beyond the job's groups would find nothing to take: it would cost a process (and
    # ~0.5 GiB) started ahead for nothing, and 1,000 of them would exhaust the machine.
    return min(int(value), len(STEPS[job_name]))
