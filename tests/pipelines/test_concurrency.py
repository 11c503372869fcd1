"""Concurrency by budget: dagster.yaml's run queue lets orgs proceed side by side, and a
backfill never takes every slot, so a scheduled daily run of another org starts at once."""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg
import yaml
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from pipelines.jobs import ORG_TAG

REPO_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"
# Queued runs name where their job lives; the mocked launcher never goes there.
ORIGIN = RemoteJobOrigin(
    RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("pipelines"), "__repository__"),
    "search_job",
)


def _queue(instance: dg.DagsterInstance, org: str, **tags: str) -> str:
    run = DagsterRun(
        job_name="search_job",
        run_id=str(uuid.uuid4()),
        status=DagsterRunStatus.QUEUED,
        tags={ORG_TAG: org, **tags},
        remote_job_origin=ORIGIN,
    )
    instance.add_run(run)
    return run.run_id


def _dequeue_once(instance: dg.DagsterInstance) -> set[str]:
    with create_test_daemon_workspace_context(EmptyWorkspaceTarget(), instance) as context:
        list(QueuedRunCoordinatorDaemon(interval_seconds=1).run_iteration(context))
    return {
        r.run_id
        for r in instance.get_runs()
        if r.status in (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED)
    }


def test_a_daily_run_of_org_b_starts_while_a_30_day_backfill_of_org_a_is_queued(
    tmp_path: Path,
) -> None:
    concurrency = yaml.safe_load(REPO_YAML.read_text())["concurrency"]
    overrides = {
        "concurrency": concurrency,
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
        },
        "run_launcher": {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"},
    }
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        # A 30-day backfill of acme, one run per day, queued first; a second org's backfill too.
        backfill = [_queue(instance, "acme", **{"dagster/backfill": "bf-acme"}) for _ in range(30)]
        other = [_queue(instance, "initech", **{"dagster/backfill": "bf-ini"}) for _ in range(5)]
        # Then the schedule's tick for globex's yesterday.
        daily = _queue(instance, "globex")
        started = _dequeue_once(instance)
    assert daily in started  # on time: not behind acme's 30 runs
    assert len(started & set(backfill)) == 2  # a backfill holds at most 2 slots
    assert len(started & set(other)) == 2  # and another org's backfill proceeds alongside


def test_the_runs_of_one_org_are_bounded_and_other_orgs_are_not(tmp_path: Path) -> None:
    concurrency = yaml.safe_load(REPO_YAML.read_text())["concurrency"]
    overrides = {
        "concurrency": concurrency,
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
        },
        "run_launcher": {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"},
    }
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        acme = [_queue(instance, "acme") for _ in range(6)]
        globex = [_queue(instance, "globex") for _ in range(6)]
        started = _dequeue_once(instance)
    assert len(started & set(acme)) == 4
    assert len(started & set(globex)) == 4
    # No global writer tag any more: nothing limits runs across orgs but the instance's total.
    assert all(
        limit["key"] != "wxcc/warehouse" for limit in concurrency["runs"]["tag_concurrency_limits"]
    )
