"""An org's Search job in two lanes: the steps they share, and who runs the marts."""

from __future__ import annotations

import io
import json
from datetime import date

import dagster as dg
import pytest

from pipelines import lanes as split
from pipelines import runner
from pipelines.assets.search import FEEDS
from pipelines.definitions import defs

DAYS = [date(2026, 11, 17), date(2026, 11, 18)]


def test_the_search_steps_cover_every_asset_of_the_job_once_and_the_marts_come_after() -> None:
    steps = runner.steps_of("search_job")
    selected = [key for step in steps for key in runner.selection("search_job", step) or []]
    after = runner.selection("search_job", runner.AFTER)
    assert len(selected) == len(set(selected))  # no asset in two groups
    assert {f.name for f in FEEDS} == {
        name for group in split.STEPS["search_job"] for name in group
    }
    assert after == [
        dg.AssetKey(["analytics", "agent_interval_15m"]),
        dg.AssetKey(["analytics", "queue_interval_15m"]),
    ]
    job = defs.resolve_job_def("search_job")
    assert set(selected) | set(after) == set(job.asset_layer.selected_asset_keys)


def test_jobs_not_split_run_whole_in_one_lane() -> None:
    assert runner.steps_of("reporting_job") == [runner.WHOLE]
    assert runner.selection("reporting_job", runner.WHOLE) is None
    chunks = [runner.Chunk("acme", DAYS), runner.Chunk("beta", DAYS)]
    assert runner.lanes("reporting_job", chunks) == [
        runner.Lane("reporting_job", "acme", [chunks[0]]),
        runner.Lane("reporting_job", "beta", [chunks[1]]),
    ]
    assert [(lane.org, lane.slot) for lane in runner.lanes("search_job", chunks)] == [
        ("acme", 0),
        ("acme", 1),
        ("beta", 0),
        ("beta", 1),
    ]


def test_free_lanes_take_the_next_group_and_the_last_to_end_runs_the_marts() -> None:
    steps = runner.Steps("search_job")
    assert steps.take() == 0  # lane 1
    assert steps.take() == 1  # lane 2
    steps.done(runner.Outcome())  # lane 1 ended its group
    assert steps.take() == 2
    steps.done(runner.Outcome())  # lane 2
    assert steps.take() == 3
    steps.done(runner.Outcome())  # lane 1: lane 2 still runs group 3, so the marts wait
    assert steps.take() is None  # lane 1 is done
    steps.done(runner.Outcome())  # lane 2 ends last: it runs the marts
    assert steps.take() == runner.AFTER
    steps.done(runner.Outcome())
    assert steps.take() is None


def test_after_a_failure_no_lane_takes_more_and_the_marts_never_run() -> None:
    steps = runner.Steps("search_job")
    assert (steps.take(), steps.take()) == (0, 1)
    steps.done(runner.Outcome(failure=("search window 2026-11-17 (org acme)", "HTTP 500")))
    assert steps.take() is None
    steps.done(runner.Outcome())
    assert steps.take() is None  # no marts over a failed group's tables


def test_a_lane_runs_the_steps_it_takes_and_adds_up_their_outcomes(monkeypatch) -> None:  # noqa: ANN001
    lane = runner.Lane("search_job", "acme", [runner.Chunk("acme", DAYS)])
    ran: list[int] = []

    def run_lane(_lane: runner.Lane, step: int, _instance: object) -> runner.Outcome:
        ran.append(step)
        return runner.Outcome(rows={"search.task": 10}, runs=1)

    monkeypatch.setattr(runner, "run_lane", run_lane)
    outcome = runner.run_steps(lane, runner.Steps("search_job"))
    assert ran == [0, 1, 2, 3, runner.AFTER]  # alone, it runs every step and then the marts
    assert (outcome.rows, outcome.runs, outcome.failure) == ({"search.task": 50}, 5, None)


def test_a_lane_stopped_by_ctrl_c_names_every_day_of_its_job_unfinished(monkeypatch) -> None:  # noqa: ANN001
    lane = runner.Lane("search_job", "acme", [runner.Chunk("acme", DAYS)])
    outcomes = iter(
        [
            runner.Outcome(runs=1),
            runner.Outcome(interrupted=True, unfinished=[("search_job", "acme", DAYS[1])]),
        ]
    )
    monkeypatch.setattr(runner, "run_lane", lambda *_: next(outcomes))
    outcome = runner.run_steps(lane, runner.Steps("search_job"))
    # the groups it never began have both days to do (mark_unfinished keeps what landed)
    assert outcome.interrupted
    assert outcome.unfinished == [("search_job", "acme", d) for d in DAYS]


def test_a_lane_process_runs_each_step_it_is_sent_until_its_stdin_ends(
    monkeypatch,  # noqa: ANN001
    capsys,  # noqa: ANN001
) -> None:
    ran: list[tuple[str, int]] = []

    def run_lane(lane: runner.Lane, step: int, _instance: object) -> runner.Outcome:
        ran.append((lane.org, step))
        return runner.Outcome(rows={"search.task": step + 10}, runs=1)

    monkeypatch.setattr(runner, "run_lane", run_lane)
    monkeypatch.setattr(runner.signal, "signal", lambda *_: None)  # keep pytest's Ctrl-C
    monkeypatch.setattr("sys.stdin", io.StringIO('{"step": 3}\n{"step": -1}\n'))
    spec = {"job_name": "search_job", "org": "acme", "chunks": [["acme", ["2026-11-17"]]]}
    assert runner._lane_main([json.dumps(spec)]) == 0
    assert ran == [("acme", 3), ("acme", runner.AFTER)]
    said = [
        json.loads(line.removeprefix(runner._LINE)) for line in capsys.readouterr().out.splitlines()
    ]
    assert [(s["rows"], s["runs"], s["failure"]) for s in said] == [
        ({"search.task": 13}, 1, None),
        ({"search.task": 9}, 1, None),
    ]


def test_the_search_lanes_of_an_org_are_a_setting(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv(split.LANES_VARIABLE, raising=False)
    assert (split.count("search_job"), split.count("wfo_job")) == (2, 1)
    monkeypatch.setenv(split.LANES_VARIABLE, "1")  # one process an org: half the memory
    chunks = [runner.Chunk("acme", DAYS)]
    assert runner.lanes("search_job", chunks) == [runner.Lane("search_job", "acme", chunks)]
    monkeypatch.setenv(split.LANES_VARIABLE, "0")
    with pytest.raises(ValueError, match="WXCC_SEARCH_LANES must be a whole number >= 1"):
        split.count("search_job")


@pytest.mark.parametrize("asked", ["4", "5", "99999"])
def test_more_search_lanes_than_feed_groups_start_no_idle_processes(
    monkeypatch: pytest.MonkeyPatch, asked: str
) -> None:
    monkeypatch.setenv(split.LANES_VARIABLE, asked)
    groups = len(split.STEPS["search_job"])
    assert split.count("search_job") == groups
    chunks = [runner.Chunk("acme", DAYS)]
    assert len(runner.lanes("search_job", chunks)) == groups


def test_a_lane_that_died_is_explained_by_its_exception_not_its_last_line() -> None:
    """A lane that ended on a Dagster error was reported by its stderr's last line alone:
    "the lane's process ended:                 ['default']"."""
    errors = (
        "/venv/dagster/_core/decorator_utils.py:232: BetaWarning: Parameter `backfill_policy`\n"
        "  return fn(*args, **kwargs)\n"
        "Traceback (most recent call last):\n"
        '  File "/venv/dagster/_core/definitions/partitions/definition.py", line 109, in get\n'
        "    raise DagsterInvalidInvocationError(\n"
        "dagster._core.errors.DagsterInvalidInvocationError: Partition range default to default"
        " is\n"
        "                not a valid range. Nonexistent partition keys:\n"
        "                ['default']\n"
    )
    assert runner._why_ended(errors) == (
        "DagsterInvalidInvocationError: Partition range default to default is not a valid range."
        " Nonexistent partition keys: ['default']"
    )
    assert runner._why_ended("Traceback (most recent call last):\nKeyboardInterrupt\n") == (
        "KeyboardInterrupt"
    )
    assert runner._why_ended("a line\nthe last line\n") == "the last line"
    assert runner._why_ended(" \n") == "no output"
