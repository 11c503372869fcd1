"""Run partitioned jobs in-process for the CLI, recorded in the instance (the UI shows them).

Orgs and sources load at once (:func:`run_lanes`: one thread and process per lane), since each
org's API budget is the only thing that should pace them. An org's Search job takes two lanes,
which share its steps (``pipelines.lanes``).

A load of N days is a bounded number of runs: per org, each run covers a range of up to
``CHUNK_DAYS`` consecutive days (a single-run backfill of that range; the windows of a run land
concurrently under the org's API budget). Resumable: windows whose latest attempt succeeded for
every asset of the job are skipped unless a reload is asked for, and windows a killed run left
``running`` are loaded again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import takewhile

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from pipelines import lanes as split
from pipelines import prestart, progress, stopping
from pipelines.assets.search import FEEDS as SEARCH_FEEDS
from pipelines.definitions import JOB_LOGGED_ASSETS, defs
from pipelines.exiting import exit_now
from pipelines.jobs import ORG_TAG
from pipelines.partitions import partition_key
from pipelines.sources.http import requests_stopped, stop_requests
from warehouse import ops
from warehouse.land import WarehousePaths

CHUNK_DAYS = 7  # days a run covers: a 14-day backfill is 2 runs per org and job
MAX_LANES = prestart.MAX_LANES  # lanes in flight at once in one load
# The event log keeps everything (see it in the UI); the terminal shows the progress bar and the
# one-line reason of a failure, not Dagster's stack traces.
_QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class Outcome:
    rows: dict[str, int] = field(default_factory=dict)
    failure: tuple[str, str] | None = None  # (what failed, one-line reason)
    runs: int = 0
    skipped: int = 0  # windows already complete
    interrupted: bool = False  # Ctrl-C: the runs stopped early
    # (job, org, day) a Ctrl-C may have left unfinished: the lanes' days from the run it cut
    unfinished: list[tuple[str, str, date]] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    org: str
    days: list[date]

    @property
    def label(self) -> str:
        first, last = self.days[0], self.days[-1]
        span = f"{first}" + (f"..{last}" if last != first else "")
        return f"window {span} (org {self.org})"


def plan(
    paths: WarehousePaths,
    job_name: str,
    orgs: list[str],
    days: list[date],
    *,
    reload: bool,
    chunk_days: int = CHUNK_DAYS,
) -> tuple[list[Chunk], int]:
    """The runs to make (per org, consecutive pending days in chunks) and windows skipped."""
    assets = _logged_assets(job_name)
    chunks: list[Chunk] = []
    skipped = 0
    for org in orgs:
        done: set[date] = set()
        if not reload and days:
            since = datetime.combine(days[0], datetime.min.time(), UTC)
            until = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), UTC)
            done = {d.date() for d in ops.complete_windows(paths, assets, org, since, until)}
        pending = [d for d in days if d not in done]
        skipped += len(days) - len(pending)
        run: list[date] = []
        for day in pending:
            if run and (day - run[-1] != timedelta(days=1) or len(run) == chunk_days):
                chunks.append(Chunk(org, run))
                run = []
            run.append(day)
        if run:
            chunks.append(Chunk(org, run))
    return chunks, skipped


def _logged_assets(job_name: str) -> list[str]:
    """Tables the extraction log names for the job's steps (each step's first table)."""
    return JOB_LOGGED_ASSETS[job_name]


@dataclass(frozen=True)
class Lane:
    """One process's share of one job and one org: it runs the steps it takes from the org's
    :class:`Steps` (the whole job, for most jobs) over the chunks in order (they share one API
    budget; a run's windows already keep that budget busy)."""

    job_name: str
    org: str
    chunks: list[Chunk]
    slot: int = 0  # which of the org's lanes of this job (``pipelines.lanes.count``)


def lanes(job_name: str, chunks: list[Chunk]) -> list[Lane]:
    """``chunks`` of ``job_name`` grouped per org, in order, each org's in its lanes."""
    by_org: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_org.setdefault(chunk.org, []).append(chunk)
    return [
        Lane(job_name, org, found, slot)
        for org, found in by_org.items()
        for slot in range(split.count(job_name))
    ]


# Steps: an index into ``pipelines.lanes.STEPS[job]``, or one of these.
WHOLE = -2  # the whole job (a job not split)
AFTER = -1  # the job's assets outside every group: run once every group has landed


def steps_of(job_name: str) -> list[int]:
    """The steps of one org's run of ``job_name`` before ``AFTER``: indexes into
    ``pipelines.lanes.STEPS``, or the whole job for a job not split."""
    return list(range(len(split.STEPS[job_name]))) if job_name in split.STEPS else [WHOLE]


def selection(job_name: str, step: int) -> list[dg.AssetKey] | None:
    """The assets a step materializes (None: the whole job)."""
    if step == WHOLE:
        return None
    feeds = {f.name: [dg.AssetKey([t.schema, t.name]) for t in f.tables] for f in SEARCH_FEEDS}
    groups = [[key for name in group for key in feeds[name]] for group in split.STEPS[job_name]]
    if step != AFTER:
        return groups[step]
    grouped = {key for group in groups for key in group}
    job = defs.resolve_job_def(job_name)
    return sorted(set(job.asset_layer.selected_asset_keys) - grouped)


class Steps:
    """The steps of one job and org, handed to its lanes one at a time: a free lane takes the
    next group; the lane that ends last runs ``AFTER`` (the marts read every group's tables).
    After a failure or a Ctrl-C nothing more is handed out (a failed load fails fast)."""

    def __init__(self, job_name: str) -> None:
        self._pending = steps_of(job_name)
        self._after = job_name in split.STEPS
        self._running = 0
        self._stopped = False
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """The next step to run, or None: none left for this lane."""
        with self._lock:
            if self._stopped or requests_stopped():
                return None
            if self._pending:
                self._running += 1
                return self._pending.pop(0)
            if self._after and self._running == 0:
                self._after = False
                self._running += 1
                return AFTER
            return None

    def done(self, found: Outcome) -> None:
        with self._lock:
            self._running -= 1
            if found.failure or found.interrupted:
                self._stopped = True


def _add(total: Outcome, found: Outcome) -> None:
    """``found`` (one step's runs) added to ``total`` (its lane's)."""
    total.runs += found.runs
    for table, rows in found.rows.items():
        total.rows[table] = total.rows.get(table, 0) + rows
    total.failure = total.failure or found.failure
    total.interrupted = total.interrupted or found.interrupted
    total.unfinished += [u for u in found.unfinished if u not in total.unfinished]


def run_chunks(chunks: list[Chunk], *, progress_bar: bool, job_name: str = "search_job") -> Outcome:
    """Materialize ``job_name`` for each chunk: orgs at once, each org's chunks in order."""
    return run_lanes(lanes(job_name, chunks), progress_bar=progress_bar)


def run_lanes(work: list[Lane], *, progress_bar: bool, workers: int = MAX_LANES) -> Outcome:
    """Run every lane at once (up to ``workers``): different orgs and sources proceed together,
    each drawing on its own org's API budget; nothing else serializes them. A lane stops at its
    first failed run (and so do its org's other lanes of the job); the others go on, and the
    outcome names the first failure.

    The first lane runs in this process; each other one in a child process (``python -m
    pipelines.runner``), which takes its steps on stdin and reports its windows and outcomes as
    JSON lines: Dagster sets up each run's logging with ``logging.config.dictConfig``, which
    deadlocks against another thread's run logging (seen with the Postgres event log), so no
    two runs share a process.
    """
    logging.getLogger("dagster").setLevel(logging.WARNING)
    outcome = Outcome()
    if not work:  # every window already complete: nothing to run here or in a child
        prestart.release()
        return outcome
    lock = threading.Lock()
    shared = {(lane.job_name, lane.org): Steps(lane.job_name) for lane in work}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[windows]} windows"),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeRemainingColumn(),
        disable=not progress_bar,
    ) as bar:
        # One bar per org: its windows of every job, complete once every step of it landed.
        steps = {lane.job_name: max(len(_logged_assets(lane.job_name)), 1) for lane in work}
        totals: dict[str, int] = {}
        for lane in work:
            if lane.slot == 0:  # an org's lanes of a job share its windows: count them once
                totals[lane.org] = totals.get(lane.org, 0) + sum(
                    len(c.days) * steps[lane.job_name] for c in lane.chunks
                )
        tasks = {
            org: bar.add_task(f"org {org}", total=total, rows=0, windows=f"0/{total}")
            for org, total in totals.items()
        }
        landed: dict[str, int] = dict.fromkeys(totals, 0)
        rows_of: dict[str, int] = dict.fromkeys(totals, 0)

        def on_window(_asset: str, org: str, _window: object, rows: int) -> None:
            if org not in tasks:
                return
            with lock:
                landed[org] += 1
                rows_of[org] += rows
                bar.update(
                    tasks[org],
                    advance=1,
                    windows=f"{landed[org]}/{totals[org]}",
                    rows=rows_of[org],
                )

        failures: dict[int, tuple[str, str]] = {}

        def merge(index: int, found: Outcome) -> None:
            with lock:
                outcome.runs += found.runs
                for table, count in found.rows.items():
                    outcome.rows[table] = outcome.rows.get(table, 0) + count
                if found.failure:
                    failures[index] = found.failure
                outcome.interrupted = outcome.interrupted or found.interrupted
                outcome.unfinished += found.unfinished

        def child(index: int, lane: Lane) -> None:
            found = _run_child(lane, shared[lane.job_name, lane.org], on_window, children)
            merge(index, found)

        # The first lane runs here, in the main thread: this process has Dagster imported and
        # the definitions built already, which a child spends ~2 s of CPU on (bench/README.md,
        # bench_two_orgs); every other lane runs in a child process of its own.
        children: list[prestart.Process] = []
        count = max(1, min(workers - 1, len(work) - 1))
        with ThreadPoolExecutor(count, thread_name_prefix="lane") as pool:
            futures = [pool.submit(child, i, w) for i, w in enumerate(work[1:], start=1)]
            here: Outcome | None = None
            try:
                with progress.listening(on_window):
                    here = run_steps(work[0], shared[work[0].job_name, work[0].org])
                merge(0, here)
                if here.interrupted:
                    raise KeyboardInterrupt  # its Ctrl-C: stop the other lanes too
                for future in futures:
                    future.result()
            except KeyboardInterrupt:
                # Ctrl-C: lanes not started never start; the running ones' processes are
                # told (each stops its requests and reports what it left unfinished).
                stop_requests()
                pool.shutdown(wait=False, cancel_futures=True)
                _interrupt(children, lock)
                outcome.interrupted = True
                if here is None:  # stopped between its runs: any of its days may be unfinished
                    outcome.unfinished += _days(work[0])
                for future, lane in zip(futures, work[1:], strict=True):
                    if future.cancelled():
                        outcome.unfinished += _days(lane)
                    else:
                        future.result()
    prestart.release()  # processes started ahead for lanes that had nothing to do
    # The failure reported is the first lane's in the order asked (source, then org), not
    # whichever ended first, so the same mistake always reads the same.
    outcome.failure = failures[min(failures)] if failures else None
    outcome.unfinished = sorted(set(outcome.unfinished))  # an org's lanes share their days
    return outcome


# Seconds a lane's process gets to stop after a Ctrl-C before it is killed: it stops its
# requests at once and records nothing itself, so it needs well under a second.
STOP_GRACE_S = 10.0


def _interrupt(children: list[prestart.Process], lock: threading.Lock) -> None:
    """Forward Ctrl-C to every lane process; kill one that has not stopped in the grace."""
    with lock:
        running = list(children)
    for child in running:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_GRACE_S
    for child in running:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


def _days(lane: Lane, chunks: list[Chunk] | None = None) -> list[tuple[str, str, date]]:
    return [
        (lane.job_name, c.org, d)
        for c in (lane.chunks if chunks is None else chunks)
        for d in c.days
    ]


class OneInstance:
    """The Dagster instance a lane's runs share: opened at its first run and disposed at the
    lane's end (opening one reads ``dagster.yaml`` and sets up its storages: ~0.1-0.2 s of CPU,
    once per step when each run opened its own)."""

    def __init__(self) -> None:
        self._instance: dg.DagsterInstance | None = None

    def get(self) -> dg.DagsterInstance:
        if self._instance is None:
            self._instance = dg.DagsterInstance.get()
        return self._instance

    def __enter__(self) -> OneInstance:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._instance is not None:
            self._instance.dispose()
            self._instance = None


def run_steps(lane: Lane, steps: Steps) -> Outcome:
    """Run the steps this lane takes from ``steps`` in this process, until none is left."""
    total = Outcome()
    with OneInstance() as instance:
        while (step := steps.take()) is not None:
            found = run_lane(lane, step, instance)
            steps.done(found)
            _add(total, found)
    return _stopped_days(lane, total)


def _stopped_days(lane: Lane, total: Outcome) -> Outcome:
    """``total``, naming every day of the lane unfinished when a Ctrl-C stopped it: steps it
    never began have those days to do too (``mark_unfinished`` keeps what did land)."""
    if total.interrupted:
        total.unfinished = _days(lane)
    return total


def run_lane(lane: Lane, step: int = WHOLE, shared: OneInstance | None = None) -> Outcome:
    """Materialize ``step`` of the lane's job over its chunks in this process, in order; stop
    at the first failed run. The runs go to ``shared``'s instance (one of their own: None)."""
    outcome = Outcome()
    job = defs.resolve_job_def(lane.job_name)
    keys = selection(lane.job_name, step)
    with contextlib.ExitStack() as stack:
        instance = (shared or stack.enter_context(OneInstance())).get()
        for n, chunk in enumerate(lane.chunks):
            result = None
            if not requests_stopped():
                try:
                    result = _execute(job, instance, chunk, keys)
                except (KeyboardInterrupt, DagsterExecutionInterruptedError):
                    stop_requests()  # in-flight windows end at their next request
            if result is None or requests_stopped():  # Ctrl-C: say what may be unfinished
                outcome.interrupted = True
                outcome.unfinished = _days(lane, lane.chunks[n:])
                break
            outcome.runs += 1
            # A single-run backfill reports one materialization per partition of its range,
            # each with the run's whole metadata: count each asset once per run.
            counted: set[str] = set()
            for event in result.get_asset_materialization_events():
                materialization = event.step_materialization_data.materialization
                table = ".".join(materialization.asset_key.path)
                if table in counted:
                    continue
                counted.add(table)
                rows = materialization.metadata.get("rows")
                count = int(rows.value) if rows is not None else 0
                outcome.rows[table] = outcome.rows.get(table, 0) + count
            if not result.success:
                reason = _failure_reason(result)
                if any(marker in reason for marker in STEP_INTERRUPTED):
                    # Ctrl-C that ended a step as its error (DuckDB's or Dagster's) is the
                    # user's stop, not a failure: exit 130 and the unfinished windows marked.
                    stop_requests()
                    outcome.interrupted = True
                    outcome.unfinished = _days(lane, lane.chunks[n:])
                    break
                source = lane.job_name.removesuffix("_job")
                outcome.failure = (f"{source} {chunk.label}", reason)
                break
    return outcome


def _execute(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    chunk: Chunk,
    keys: list[dg.AssetKey] | None = None,
) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=_QUIET,
        asset_selection=keys,
        tags={
            ORG_TAG: chunk.org,
            ASSET_PARTITION_RANGE_START_TAG: partition_key(chunk.org, chunk.days[0].isoformat()),
            ASSET_PARTITION_RANGE_END_TAG: partition_key(chunk.org, chunk.days[-1].isoformat()),
        },
    )


def _run_child(
    lane: Lane,
    steps: Steps,
    on_window: progress.Listener,
    children: list[prestart.Process],
) -> Outcome:
    """Run ``lane`` in a child process, handing it its steps one at a time on stdin and
    relaying its windows to ``on_window``."""
    total = Outcome()
    step = steps.take()
    if step is None:  # its org's other lanes took every step: no process needed
        return total
    spec = {
        "job_name": lane.job_name,
        "org": lane.org,
        "chunks": [[c.org, [d.isoformat() for d in c.days]] for c in lane.chunks],
        "slot": lane.slot,
    }
    started = prestart.take(spec)  # one started ahead has its imports done already
    child: prestart.Process
    if started is not None:
        child, errors_file = started.process, started.errors
    else:
        # stderr to a file, not a pipe: a full pipe would block the child while stdout is read.
        errors_file = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed below
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.runner", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors_file,
            text=True,
            env=prestart.lane_environ(),
        )
    children.append(child)  # list.append is atomic: Ctrl-C reaches every started lane
    if requests_stopped():  # Ctrl-C came while this lane was starting
        child.send_signal(signal.SIGINT)
    assert child.stdin is not None and child.stdout is not None
    found: Outcome | None = None
    while step is not None:
        found = None
        try:
            child.stdin.write(json.dumps({"step": step}) + "\n")
            child.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it ended: said below, from its stderr
        else:
            found = _outcome_of(child, on_window)
        if found is None:
            break
        steps.done(found)
        _add(total, found)
        step = steps.take()
    with contextlib.suppress(BrokenPipeError, OSError):
        child.stdin.close()  # no more steps: it exits
    child.wait()
    errors_file.seek(0)
    errors = errors_file.read()
    errors_file.close()
    if found is None:  # it ended without reporting the step it was given
        if requests_stopped():
            found = Outcome(interrupted=True, unfinished=_days(lane))
        else:
            found = Outcome(
                failure=(
                    f"{lane.job_name} org {lane.org}",
                    f"the lane's process ended: {_why_ended(errors)}",
                )
            )
        steps.done(found)
        _add(total, found)
    return _stopped_days(lane, total)


# The line a traceback ends with: the exception's class (module path optional) and message.
_RAISED = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?([A-Za-z_]\w*(?:Error|Exception|Interrupt|Exit)\w*)(?::|$)"
)


def _why_ended(errors: str) -> str:
    """What a lane's stderr says of its end: the last traceback's exception, with the indented
    lines its message wraps onto (Dagster's do), else the last line written, else "no output"."""
    lines = errors.strip().splitlines()
    for at in range(len(lines) - 1, -1, -1):
        raised = _RAISED.match(lines[at])
        if raised is None:
            continue
        rest = " ".join(takewhile(lambda line: line[:1].isspace(), lines[at + 1 :]))
        rest = " ".join(rest.split())
        said = lines[at][raised.start(1) :].strip()
        return f"{said} {rest}".strip() if rest else said
    return lines[-1].strip() if lines else "no output"


def _outcome_of(child: prestart.Process, on_window: progress.Listener) -> Outcome | None:
    """The outcome of the step ``child`` runs, its windows relayed on the way (None: it ended
    first)."""
    assert child.stdout is not None
    for line in child.stdout:
        if not line.startswith(_LINE):
            continue
        message = json.loads(line[len(_LINE) :])
        if "window" in message:
            on_window(message["asset"], message["org"], message["window"], message["rows"])
            continue
        return Outcome(
            rows=message["rows"],
            runs=message["runs"],
            failure=tuple(message["failure"]) if message["failure"] else None,  # type: ignore[arg-type]
            interrupted=message.get("interrupted", False),
            unfinished=[(j, o, date.fromisoformat(d)) for j, o, d in message["unfinished"]],
        )
    return None


_LINE = "wxcc-lane "  # prefix of the JSON lines a lane's process writes on stdout


def _lane_main(argv: list[str]) -> int:
    """``python -m pipelines.runner '<lane as JSON>'``: one lane, whose steps come on stdin one
    JSON line each, each reported as JSON lines (``-``: the lane too comes on stdin, to a
    process started ahead: ``pipelines.prestart``)."""
    prestart.die_with_parent()
    prestart.tune_collector()  # a lane started as a fresh interpreter; a forked one has it
    if argv[0] == "-":
        found = prestart.read_lane()
        if found is None:
            return 0  # started ahead, then not needed
        spec: dict = found
    else:
        spec = json.loads(argv[0])
    lane = Lane(
        spec["job_name"],
        spec["org"],
        [Chunk(org, [date.fromisoformat(d) for d in days]) for org, days in spec["chunks"]],
        spec.get("slot", 0),
    )

    def report(asset: str, org: str, window: object, rows: int) -> None:
        line = {"window": str(window), "asset": asset, "org": org, "rows": rows}
        sys.stdout.write(_LINE + json.dumps(line) + "\n")
        sys.stdout.flush()

    def interrupted(_signum: int, _frame: object) -> None:
        # The terminal's Ctrl-C and the parent's forwarded one may both arrive: act on one.
        if not requests_stopped():
            stop_requests()
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    # A service manager's SIGTERM reaches every process of the load (systemd's control group):
    # a lane takes it as the load does, as a Ctrl-C.
    signal.signal(signal.SIGTERM, interrupted)
    with progress.listening(report), OneInstance() as instance:
        while True:
            try:
                line = sys.stdin.readline()
            except KeyboardInterrupt:
                os._exit(0)  # noqa: SLF001 - stopped while waiting for a step: nothing begun
            if not line.strip():
                return 0  # no more steps
            outcome = run_lane(lane, int(json.loads(line)["step"]), instance)
            found = {
                "rows": outcome.rows,
                "runs": outcome.runs,
                "failure": outcome.failure,
                "interrupted": outcome.interrupted,
                "unfinished": [[j, o, d.isoformat()] for j, o, d in outcome.unfinished],
            }
            sys.stdout.write(_LINE + json.dumps(found) + "\n")
            sys.stdout.flush()
            if outcome.interrupted:
                os._exit(0)  # noqa: SLF001 - stopped: skip the seconds of interpreter teardown


def forked_lane() -> int:
    """A lane process forked by the load after these imports (``prestart.fork``): as
    ``python -m pipelines.runner -``."""
    return _lane_main(["-"])


def _failure_reason(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            # The asset's own exception is the innermost cause; Dagster wraps it once.
            while error.cause is not None:
                error = error.cause
            if not error.message:
                return error.cls_name or "?"
            # Dagster names the class by its module path: the class name says enough.
            return re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", error.message.strip().splitlines()[-1])
    return "the run failed before any step ran (see the Dagster UI for its event log)"


# The reason a window the load left unfinished is logged with ({how}: ``stopping.cause``).
INTERRUPTED = "Interrupted: stopped ({how}) before this window finished; a re-run resumes"
# How a Ctrl-C in this process can end a step instead of reaching us as KeyboardInterrupt: DuckDB
# turns it into its own error mid-query (we never interrupt a query ourselves), and Dagster into
# an interrupted step.
STEP_INTERRUPTED = ("Query interrupted", "DagsterExecutionInterruptedError")


def mark_unfinished(
    paths: WarehousePaths,
    job_name: str,
    unfinished: list[tuple[str, date]],
    configured_ids: dict[str, str | None],
    since: datetime,
) -> list[tuple[str, date]]:
    """Record the windows a Ctrl-C left unfinished as failed, so ``status`` shows them and the
    next load redoes them (an asset's window this load landed since ``since`` stays); the
    (org, day) windows marked. An org whose id is not known yet (it was never signed in) has
    nothing in the log to mark."""
    now = datetime.now(UTC)
    landed = {
        (a.asset, a.org_id, a.window_start)
        for a in ops.latest_attempts(paths)
        if a.status in ("success", "open") and a.finished >= since
    }  # windows of an asset this load did land before the stop: not unfinished
    run_id = f"interrupted-{now.strftime('%Y%m%dT%H%M%S')}"
    attempts: list[ops.Attempt] = []
    marked: set[tuple[str, date]] = set()
    for org in sorted({org for org, _ in unfinished}):
        ids = ops.org_ids(paths, org) or [i for i in (configured_ids.get(org),) if i]
        for day in sorted({d for o, d in unfinished if o == org}):
            start = datetime.combine(day, datetime.min.time(), UTC)
            for org_id in ids:
                for asset in _logged_assets(job_name):
                    if (asset, org_id, start) in landed:
                        continue
                    marked.add((org, day))
                    attempts.append(
                        ops.Attempt(
                            asset=asset,
                            org_id=org_id,
                            window_start=start,
                            window_end=start + timedelta(days=1),
                            run_id=run_id,
                            started=now,
                            finished=now,
                            status="failure",
                            error=INTERRUPTED.format(how=stopping.cause()),
                            org=org,
                        )
                    )
    ops.record_many(paths, attempts)
    return sorted(marked)


if __name__ == "__main__":
    # No interpreter teardown at the end (~1 s of CPU freeing what the lane imported and
    # built: py-spy showed it in the lane process at the end of a 60,000-task load).
    exit_now(_lane_main(sys.argv[1:]))
