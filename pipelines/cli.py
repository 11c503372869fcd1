"""``wxcc-warehouse``: load windows through Dagster from the command line.

With ``WXCC_API_URL`` unset it starts the embedded sandbox tenant and loads from it, so a fresh
clone has something to query with one command.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType

from pipelines import lanes as split
from pipelines import stopping
from pipelines.exiting import exit_now
from pipelines.operating import (
    DISK_ADVICE,
    LoadBusy,
    PortInUse,
    check_port_free,
    describe_os_error,
    disk_trouble,
    ensure_directory,
    load_lock,
    prepare_instance,
    repair_derived_state,
)
from pipelines.settings import SANDBOX_CREDENTIALS, load_settings, utc_now
from pipelines.sources.errors import ConfigError, WxccError
from pipelines.sources.http import requests_stopped, resume_requests, stop_requests

SOURCES = ("search", "reporting", "legacy", "wfo")
DEBUG_ENV = "WXCC_DEBUG"  # set to 1: tracebacks for bug reports, as --debug
EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_INTERRUPTED = 1, 2, 75, 130
EXIT_READER_GONE = 141  # 128 + SIGPIPE: as a tool the shell's pipe reader left (`| head`)
MAX_DAYS = 3660  # about ten years: the Search API keeps 36 months; more is a typo
LAST_LOAD = ".last-load.json"  # the outcome of the latest load, for `status`
# What a load says to a second and a third Ctrl-C while it stops (see _stop_on_interrupt).
STOPPING_NOTE = (
    "wxcc-warehouse: stopping: the lanes end their step and the unfinished windows are marked "
    "(a few seconds); Ctrl-C again quits at once\n"
)
QUIT_CONSEQUENCE = "the windows in flight stay running until a re-run redoes them"
QUIT_NOTE = f"wxcc-warehouse: quit at once: {QUIT_CONSEQUENCE}\n"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # --debug is accepted anywhere on the line, before or after the command.
    debug = "--debug" in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    parser = _parser()
    args = parser.parse_args(argv)
    # Dagster flags APIs we use (backfill policies) as beta at import; users can do nothing about it.
    warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview)")
    logging.basicConfig(
        level=logging.INFO if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not debug:
        # A Ctrl-C that lands while SQLAlchemy closes a connection of Dagster's instance is
        # logged by its pool with a traceback, then raised on: the stop is said once, below.
        logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"wxcc-warehouse: stopped ({stopping.cause()}); a re-run resumes", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every error becomes one sentence (or a traceback)
        if isinstance(exc, BrokenPipeError) and _stdout_reader_gone():
            # `wxcc-warehouse status | head`: the reader has all it wanted; nothing to say.
            # (Another pipe's, a lane's, is an error like any other.)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_READER_GONE
        if debug:
            traceback.print_exc()
        print(f"wxcc-warehouse: {explain(exc, debug=debug)}", file=sys.stderr)
        return exit_code(exc)


def _stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reader closed it (poll says POLLERR)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll here, or no real stdout (tests)
        return False


def explain(exc: BaseException, *, debug: bool = False) -> str:
    """One sentence for an error that reached the command line."""
    import duckdb

    if isinstance(exc, WxccError | ValueError):
        return str(exc)
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    if disk_trouble(str(exc)):
        # Only Dagster's storage speaks SQLAlchemy here: name the instance, whose error does not.
        where = (
            f"the Dagster instance at {os.environ.get('DAGSTER_HOME', '$DAGSTER_HOME')} "
            "(DAGSTER_HOME) cannot be written"
            if type(exc).__module__.startswith("sqlalchemy")
            else "a write failed"
        )
        return f"{where} ({type(exc).__name__}: {first}): {DISK_ADVICE}"
    if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
        return (
            "the warehouse file is held by another process (a load, a Dagster run or an open "
            "DuckDB session writing to it): wait for it to finish, then run again"
        )
    more = "" if debug else f"; run again with --debug (or {DEBUG_ENV}=1) for the traceback"
    if isinstance(exc, duckdb.Error):
        return f"DuckDB: {type(exc).__name__}: {first}{more}"
    return f"unexpected {type(exc).__name__}: {first}{more} and report it"


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, LoadBusy | PortInUse):
        return EXIT_BUSY
    if isinstance(exc, ConfigError | ValueError):
        return EXIT_USAGE
    return EXIT_FAILED


def _version() -> str:
    """This project's version and those a bug report needs beside it (read, not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    def of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    return (
        f"wxcc-warehouse {of('wxcc-warehouse')} (dagster {of('dagster')}, duckdb {of('duckdb')}, "
        f"Python {sys.version.split()[0]})"
    )


def _parser() -> argparse.ArgumentParser:
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", help=f"show tracebacks (also {DEBUG_ENV}=1)")
    parser = argparse.ArgumentParser(prog="wxcc-warehouse", description=__doc__, parents=[debug])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(required=True)
    load = sub.add_parser(
        "load", help="materialize every partition covering [from, to)", parents=[debug]
    )
    load.add_argument("--from", dest="start", type=_day, help="first UTC day (ISO date or instant)")
    load.add_argument("--to", dest="end", type=_day, help="end (exclusive), UTC")
    load.add_argument("--last-days", type=int, help="the last N complete UTC days instead")
    load.add_argument(
        "--today",
        action="store_true",
        help="the current UTC day so far (recorded open: every plain load refreshes it)",
    )
    load.add_argument("--source", choices=(*SOURCES, "all"), default="all")
    load.add_argument("--no-progress", action="store_true", help="no progress bar")
    load.add_argument(
        "--reload",
        action="store_true",
        help="load every window again, even those already complete (default: resume, skipping "
        "windows whose latest load succeeded)",
    )
    load.add_argument("--org", action="append", help="only this org (repeatable; default all)")
    load.set_defaults(func=_load)
    ui = sub.add_parser(
        "ui",
        help="the Dagster UI against the sandbox (or WXCC_API_URL), data loaded",
        parents=[debug],
    )
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--last-days", type=int, default=2, help="days to load first (0: none)")
    ui.set_defaults(func=_ui)
    status = sub.add_parser(
        "status",
        help="per source and org: complete through when, open and failed windows, gaps",
        parents=[debug],
    )
    status.set_defaults(func=_status)
    return parser


def _ui(args: argparse.Namespace) -> int:
    """Load the last days, then run `dagster dev` with a sandbox that outlives the load."""
    with stopping.watched():  # a service manager's SIGTERM stops it as Ctrl-C does
        return _ui_watched(args)


def _ui_watched(args: argparse.Namespace) -> int:
    settings = load_settings()
    check_port_free(args.port)  # before the first load, not after it
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(settings.dagster_home)  # made absolute
    # As a load does: a new home made, an old one migrated, a damaged one named in a sentence
    # (`dagster dev` meets a DAGSTER_HOME that does not exist yet with a traceback).
    prepare_instance(Path(env["DAGSTER_HOME"]))
    sandbox_proc = None
    if settings.uses_sandbox:
        # The UI's code server runs in other processes: the sandbox must be a process of its own.
        sandbox_proc = subprocess.Popen(
            [_venv_tool("wxcc-sandbox"), "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=stopping.signalled_at_parent_death(signal.SIGTERM),
        )
        assert sandbox_proc.stdout is not None
        line = sandbox_proc.stdout.readline().strip()
        if not line.startswith("sandbox listening on "):
            sandbox_proc.kill()
            raise WxccError(f"the sandbox did not start: {line!r}")
        url = line.removeprefix("sandbox listening on ")
        env.update({"WXCC_API_URL": url, "WXCC_IDENTITY_URL": url})
        for name, value in SANDBOX_CREDENTIALS.items():
            env.setdefault(name, value)
    try:
        if args.last_days:
            load = [_venv_tool("wxcc-warehouse"), "load", "--last-days", str(args.last_days)]
            loaded = _run_stoppable(load, env)
            if loaded != 0:
                return loaded
        print(f"Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
        workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
        command = [_venv_tool("dagster"), "dev", "-w", str(workspace), "-h", "127.0.0.1"]
        # `dagster dev` warns that `dg dev` (the dagster-dg package, not installed) supersedes it.
        quiet = "ignore:Function `dev_command` is superseded"
        env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), quiet]))
        return _run_stoppable([*command, "-p", str(args.port)], env)
    except KeyboardInterrupt:
        return 0
    finally:
        if sandbox_proc is not None:
            sandbox_proc.terminate()
            sandbox_proc.wait(10)


# Seconds a child of `ui` gets to stop after the Ctrl-C or SIGTERM passed on to it before its
# session is killed: `dagster dev` waits up to 60 s for each of its services (it takes 2-4 s
# here); a load stops in seconds.
CHILD_STOP_S = 75.0


def _run_stoppable(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` (a load, `dagster dev`) to its end; a Ctrl-C or SIGTERM of this process
    is passed on to it, and waited for, then raised here.

    The child runs in a session of its own, so that it is told once: a terminal's Ctrl-C
    reaching it as well would land in the middle of its own stopping (`dagster dev` shuts its
    webserver, daemon and code server down; a load marks what it left unfinished). A SIGTERM of
    this process alone used to leave all of them running, serving the port. Should this process
    be killed outright, the child gets a Ctrl-C from the kernel instead."""
    child = subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        preexec_fn=stopping.signalled_at_parent_death(signal.SIGINT),
    )
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGTERM if stopping.cause() == "SIGTERM" else signal.SIGINT)
        try:
            child.wait(timeout=CHILD_STOP_S)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        raise


def _venv_tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        raise WxccError(f"{name} is not installed next to {sys.executable}; run make run first")
    return found


def _status(_args: argparse.Namespace) -> int:
    """Always answers: a broken configuration or warehouse is said, not raised."""
    from pipelines import status
    from warehouse.land import WarehousePaths

    try:
        paths = load_settings().paths
    except WxccError as exc:
        print(f"Configuration: {exc}")
        paths = WarehousePaths(Path(os.environ.get("WXCC_DATA_DIR") or "data").expanduser())
    data_dir = paths.data_dir
    if data_dir.exists() and not data_dir.is_dir():
        print(f"The data directory {data_dir} (WXCC_DATA_DIR) is a file, not a directory.")
        return 1
    last = _read_last_load(data_dir)
    if last:
        print(f"Last load {last.get('finished', '?')}: {last.get('outcome', '?')}")
    busy = _load_running(data_dir)
    if busy:
        print(f"A load is running now ({busy}).")
    try:
        reports = status.source_statuses(paths, load_running=bool(busy))
    except Exception as exc:  # noqa: BLE001 - status must answer whatever it finds
        print(f"The extraction log cannot be read: {explain(exc)}")
        return 1
    for line in status.render(reports, paths.published_path):
        print(line)
    return 0


def _load_running(data_dir: Path) -> str | None:
    """``pid N, started T`` of a load holding an org of the data directory, if one does."""
    for path in sorted(data_dir.glob(".load.*.lock")):
        org = path.name.removeprefix(".load.").removesuffix(".lock")
        try:
            with load_lock(data_dir, [org]):
                continue
        except LoadBusy as exc:
            text = str(exc)
            return text[text.index("(") + 1 : text.index(")")]
        except OSError:
            continue
    return None


def _read_last_load(data_dir: Path) -> dict[str, str] | None:
    try:
        data = json.loads((data_dir / LAST_LOAD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_last_load(data_dir: Path, outcome: str) -> None:
    record = {"finished": utc_now().isoformat(timespec="seconds"), "outcome": outcome}
    tmp = data_dir / f"{LAST_LOAD}.tmp"
    try:
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, data_dir / LAST_LOAD)
    except OSError:
        pass  # a note for `status`; the load's own outcome is what the user sees


def _day(text: str) -> date:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or instant") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise argparse.ArgumentTypeError(f"{text!r}: windows are whole UTC days; give a date")
    return moment.date()


def _load(args: argparse.Namespace) -> int:
    with stopping.watched():  # a service manager's SIGTERM stops it as Ctrl-C does
        return _load_watched(args)


def _load_watched(args: argparse.Namespace) -> int:
    settings = load_settings()
    from pipelines import prestart

    prestart.tune_collector()  # here, so that lanes forked from this process have it too
    _prestart_lanes(args, settings)
    try:
        return _load_planned(args, settings)
    finally:
        # Lanes started ahead but never given one end with the load, however it ends (a bad
        # range, a held lock, unset credentials): a process that lives on (a test's, a
        # scheduler's in-process call) must not hand the next load a lane whose imports read
        # this load's configuration.
        prestart.release()


def _load_planned(args: argparse.Namespace, settings) -> int:  # noqa: ANN001 - Settings
    from pipelines.partitions import day_keys, start_date  # dagster imported only for a load

    now = _now()
    start, end = _range(args, now, date.fromisoformat(start_date(settings)))
    keys = day_keys(start, end)
    if not keys:
        raise ValueError(f"--from {start} --to {end} is an empty range")
    days = [date.fromisoformat(k) for k in keys]
    started = time.monotonic()
    from pipelines.orgs import orgs_of

    configured = orgs_of(settings)
    orgs = [o.name for o in configured]
    unknown = sorted(set(args.org or ()) - set(orgs))
    if unknown:
        raise ValueError(f"no org named {', '.join(unknown)} is configured (known: {orgs})")
    orgs = [o for o in orgs if not args.org or o in args.org]
    data_dir = ensure_directory(settings.data_dir, "WXCC_DATA_DIR")
    with load_lock(data_dir, orgs), _stop_on_interrupt(data_dir) as stop:
        os.environ["DAGSTER_HOME"] = str(settings.dagster_home)  # made absolute
        prepare_instance(Path(os.environ["DAGSTER_HOME"]))
        for said in repair_derived_state(data_dir, settings.storage):
            print(f"wxcc-warehouse: {said}", file=sys.stderr)
        resume_requests()
        try:
            code = _load_sources(args, settings, orgs, days, keys, started, configured, stop)
        except KeyboardInterrupt:
            _write_last_load(data_dir, f"stopped ({stopping.cause()}); a re-run resumes")
            raise
        except Exception as exc:
            if requests_stopped() and "Query interrupted" in str(exc):
                # The Ctrl-C reached a DuckDB query of this process (we never interrupt one
                # ourselves): the user's stop, not a failure.
                _write_last_load(data_dir, f"stopped ({stopping.cause()}); a re-run resumes")
                raise KeyboardInterrupt from None
            _write_last_load(data_dir, f"failed: {explain(exc)}")
            raise
        finally:
            stop.settled = True  # the outcome is said and recorded: nothing left to quit
    return code


def _prestart_lanes(args: argparse.Namespace, settings) -> None:  # noqa: ANN001 - Settings
    """Start the processes of the lanes after the first (``pipelines.prestart``) now, while
    this one imports Dagster and plans: at most one per org and source of this load."""
    from pipelines import prestart
    from pipelines.orgs import orgs_of

    try:
        orgs = [o.name for o in orgs_of(settings) if not args.org or o.name in args.org]
    except WxccError:
        return  # the load says what is wrong with the configuration
    per_org = [split.count(f"{s}_job") for s in _sources(args)]
    limit = prestart.lane_limit(len(orgs), max(per_org))
    count = min(len(orgs) * sum(per_org), limit) - 1
    if count < 1:
        return
    if prestart.can_fork():
        # The lanes' imports (Dagster, the definitions), made once here, where the load needs
        # them too, and shared by forking: a fresh interpreter spent ~1.9 s of CPU on them.
        from pipelines import runner

        _open_instance_once(settings)
        prestart.fork(count, runner.forked_lane)
    else:
        prestart.start(count)


def _open_instance_once(settings) -> None:  # noqa: ANN001 - Settings
    """Open the Dagster instance here before the lanes fork: the modules opening one imports
    (its SQLite storages, SQLAlchemy's, the state storage's fsspec; ~0.7 s of CPU a process) are
    then shared by every forked lane instead of imported again in each. The load prepares the
    instance again under its lock (cheap once done); a failure here is left for it to report."""
    home = settings.dagster_home
    try:
        prepare_instance(home)
    except WxccError:
        return


def _sources(args: argparse.Namespace) -> tuple[str, ...]:
    return SOURCES if args.source == "all" else (args.source,)


def _load_sources(  # noqa: PLR0913
    args: argparse.Namespace,
    settings,  # noqa: ANN001
    orgs: list[str],
    days: list[date],
    keys: list[str],
    started: float,
    configured: list,  # noqa: ANN001
    stop: _Stop,
) -> int:
    from pipelines import prestart
    from pipelines.runner import lanes, mark_unfinished, plan, run_lanes

    data_dir = settings.data_dir
    load_started = datetime.now(UTC)
    with _api_environment(settings) as where:
        sources = _sources(args)
        _check_api_settings(orgs, sources, asked=args.source != "all")
        if "search" in sources:
            from warehouse.variables import parse_config

            parse_config(settings.config.get("cad_variables"))  # said now, not in every window
        if "wfo" in sources:
            from warehouse.schemas_wfo import reports_from_config

            reports_from_config(settings.config)
        work = []
        for source in sources:
            job = f"{source}_job"
            chunks, skipped = plan(settings.paths, job, orgs, days, reload=args.reload)
            if skipped:
                print(
                    f"{source}: skipping {skipped} window(s) already complete "
                    "(--reload loads them again)."
                )
            work += lanes(job, chunks)
        # Every org and source at once, each at its own org's API budget.
        outcome = run_lanes(
            work,
            progress_bar=not args.no_progress and sys.stderr.isatty(),
            workers=prestart.lane_limit(len(orgs), max(split.count(f"{s}_job") for s in sources)),
        )
        if outcome.interrupted:
            ids = {o.name: o.org_id for o in configured}
            said = []
            for source in sources:
                job = f"{source}_job"
                cut = [(o, d) for j, o, d in outcome.unfinished if j == job]
                marked = mark_unfinished(settings.paths, job, cut, ids, since=load_started)
                if marked:
                    said.append(f"{source} windows: {_spans(marked)}")
            _publish_quietly(settings.paths)  # readers see the marks too
            stop.settled = True  # marked and published: a Ctrl-C now has nothing to quit
            line = (
                f"stopped ({stopping.cause()}); unfinished {'; '.join(said)}, marked failed in "
                "the extraction log; a re-run resumes"
                if said
                else f"stopped ({stopping.cause()}); a re-run resumes"
            )
            print(f"wxcc-warehouse: {line}", file=sys.stderr)
            _write_last_load(data_dir, line)
            return EXIT_INTERRUPTED
    elapsed = time.monotonic() - started
    if outcome.failure:
        line = f"{outcome.failure[0]} failed: {_hint(outcome.failure[1])}"
        print(f"wxcc-warehouse: {line}", file=sys.stderr)
        _write_last_load(data_dir, line)
        return EXIT_FAILED
    still_lost = _still_lost(settings.paths)
    if still_lost:
        # Windows outside the days loaded lost their files: the warehouse is not whole.
        line = (
            f"{len(still_lost)} window(s) lost their Parquet files and were not in the days "
            f"loaded: {_spans(still_lost)}; load those days to restore them"
        )
        print(f"wxcc-warehouse: {line}", file=sys.stderr)
        _write_last_load(data_dir, line)
        return EXIT_FAILED
    _write_last_load(data_dir, f"loaded {len(keys)} day(s) {keys[0]} .. {keys[-1]}")
    _summary(settings, where, outcome.rows, elapsed, keys, outcome.runs)
    return 0


def _publish_quietly(paths) -> None:  # noqa: ANN001 - WarehousePaths
    """Publish what the store holds now; a failure here must not hide the load's outcome."""
    from warehouse.publish import publish

    try:
        publish(paths)
    except Exception as exc:  # noqa: BLE001 - the published file stays the last good one
        logging.getLogger(__name__).warning("publishing failed: %s", explain(exc))


def _still_lost(paths) -> list[tuple[str, date]]:  # noqa: ANN001 - WarehousePaths
    """(org, day) of windows whose latest attempt is a repair's lost-file failure."""
    from warehouse import ops

    return sorted(
        {
            (a.org or a.org_id, a.window_start.date())
            for a in ops.latest_attempts(paths)
            if a.status == "failure" and a.error == ops.LOST_FILES
        }
    )


def _now() -> datetime:
    """The load's clock (``WXCC_NOW`` pins it; tests patch this)."""
    return utc_now()


def _hint(reason: str) -> str:
    """A run's one-line failure, with what to do when it is the machine's."""
    if disk_trouble(reason):
        return f"{reason} ({DISK_ADVICE})"
    if "Read-only file system" in reason or "Permission denied" in reason:
        return f"{reason} (WXCC_DATA_DIR must be writable)"
    return reason


def _spans(windows: list[tuple[str, date]]) -> str:
    """``2026-11-10..2026-11-13 (org default)``: consecutive days folded."""
    by_org: dict[str, list[date]] = {}
    for org, day in windows:
        by_org.setdefault(org, []).append(day)
    parts = []
    for org, ds in by_org.items():
        ds = sorted(set(ds))
        runs: list[list[date]] = []
        for d in ds:
            if runs and d - runs[-1][-1] == timedelta(days=1):
                runs[-1].append(d)
            else:
                runs.append([d])
        spans = ", ".join(f"{r[0]}" + (f"..{r[-1]}" if len(r) > 1 else "") for r in runs)
        parts.append(f"{spans} (org {org})")
    return "; ".join(parts)


@dataclass
class _Stop:
    settled: bool = False  # the load's outcome is said: a Ctrl-C now has nothing to stop


@contextmanager
def _stop_on_interrupt(data_dir: Path) -> Iterator[_Stop]:
    """Ctrl-C or SIGTERM stops every request of this process at once (Dagster installs its own
    handler for both while a run executes; the windows' code stops the requests then).

    Only the first one interrupts. The stop then has bookkeeping to finish: lanes end their
    step (up to ``runner.STOP_GRACE_S``), and the windows left unfinished are marked failed. A
    second Ctrl-C used to interrupt that (DuckDB's "Query interrupted", reported as an
    unexpected error, the windows left unmarked); it is now told to wait, and the next quits at
    once, as a kill would (the windows in flight stay ``running``; the next load redoes them)."""
    noted = quitting = False
    stop = _Stop()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        nonlocal noted, quitting
        if stop.settled:
            return  # pressed again as the load ends: its outcome is said already
        # Not a count of this handler's calls: while a Dagster run executes in this process,
        # Dagster's handler takes the first one, and the stop it begins stops the requests.
        if not requests_stopped():
            stop_requests()
            raise KeyboardInterrupt
        if not noted:
            noted = True
            # os.write, not print: the handler may run in the middle of a print to stderr.
            os.write(2, STOPPING_NOTE.encode())
            return
        if quitting:
            return  # one more press while the process ends
        quitting = True
        os.write(2, QUIT_NOTE.encode())
        _write_last_load(data_dir, f"quit at once ({stopping.cause()}); {QUIT_CONSEQUENCE}")
        exit_now(EXIT_INTERRUPTED)

    try:
        previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread (tests): nothing to install
        yield stop
        return
    try:
        yield stop
    finally:
        for signum, before in previous.items():
            if before is not None:  # None: a handler not set from Python, nothing to restore
                signal.signal(signum, before)


def _range(args: argparse.Namespace, now: datetime, first: date) -> tuple[date, date]:
    today = now.date()
    if args.today:
        if args.last_days is not None or args.start or args.end:
            raise ValueError("give --today alone, not with --last-days or --from/--to")
        start, end = today, today + timedelta(days=1)
    elif args.last_days is not None:
        if args.start or args.end:
            raise ValueError("give either --last-days or --from/--to, not both")
        if not 1 <= args.last_days <= MAX_DAYS:
            raise ValueError(
                f"--last-days {args.last_days}: give 1 to {MAX_DAYS} days (the Search API keeps "
                "36 months of history)"
            )
        start, end = today - timedelta(days=args.last_days), today
    else:
        if not (args.start and args.end):
            raise ValueError(
                "give --from and --to (UTC dates, [from, to)), --last-days N or --today"
            )
        start, end = args.start, args.end
        if end <= start:
            raise ValueError(f"--to {end} must be after --from {start}")
        if (end - start).days > MAX_DAYS:
            raise ValueError(f"--from {start} --to {end} spans more than {MAX_DAYS} days")
    if start > today:
        raise ValueError(
            f"--from {start} is in the future (today is {today} UTC): there is nothing to load "
            "yet; --today loads the current day so far"
        )
    if end > today + timedelta(days=1):
        raise ValueError(
            f"--to {end} is in the future (today is {today} UTC): the latest window is today's "
            f"(--to {today + timedelta(days=1)}, or --today)"
        )
    if start < first:
        raise ValueError(
            f"--from {start} is before the configured start date {first} (WXCC_START_DATE or "
            f"start_date in WXCC_CONFIG): load from {first} or set an earlier start date"
        )
    return start, end


def _check_api_settings(orgs: list[str], sources: list[str], *, asked: bool) -> None:
    """The settings each org's windows need, checked before any window begins: a variable the
    org names but that is unset, or a URL without its scheme, used to fail every window of the
    org in turn, each logged failed, with exit 1 as though the API had failed. Search and
    reporting sign in; the legacy records and WFO only to learn an org id that is not
    configured. Their own credentials are required only when those sources were ``asked`` for
    by name: a tenant without them still loads the rest with ``--source all`` (the default),
    their windows failing as before."""
    from pipelines.orgs import checked_url, orgs_of
    from pipelines.sources.legacy import record_format

    signs_in = bool({"search", "reporting"} & set(sources))
    for org in orgs_of(load_settings()):  # read again: the embedded sandbox set its variables
        if org.name not in orgs:
            continue
        if signs_in or not org.org_id:
            if not org.api_url:
                raise ConfigError(f"org {org.name}: no API URL: set WXCC_API_URL or its api_url")
            checked_url(org.api_url, f"org {org.name}: the API URL (WXCC_API_URL or api_url)")
            if org.identity_url:
                where = f"org {org.name}: the identity URL (WXCC_IDENTITY_URL or identity_url)"
                checked_url(org.identity_url, where)
            org.credentials()
        for source, url, setting, credentials in (
            (
                "legacy",
                org.legacy_base_url(),
                "WXCC_LEGACY_URL or legacy_url",
                org.legacy_credentials,
            ),
            ("wfo", org.wfo_base_url(), "WFO_URL or wfo_url", org.wfo_credentials),
        ):
            if source in sources:
                if url:
                    checked_url(url, f"org {org.name}: the {source} URL ({setting})")
                if asked:
                    credentials()
    if "legacy" in sources:
        record_format(os.environ.get("WXCC_LEGACY_FORMAT"))


@contextmanager
def _api_environment(settings) -> Iterator[str]:  # noqa: ANN001
    """The configured tenant, or an embedded sandbox for the duration of the load."""
    if not settings.uses_sandbox:
        settings.require_credentials()
        yield settings.api_url
        return
    from sandbox.server import serve_in_background

    # A pinned clock (WXCC_NOW) pins the embedded tenant's too: both must agree on what is open.
    pinned = {"now_ms": int(utc_now().timestamp() * 1000)} if os.environ.get("WXCC_NOW") else {}
    with serve_in_background(**pinned) as base_url:
        saved = {
            k: os.environ.get(k)
            for k in ("WXCC_API_URL", "WXCC_IDENTITY_URL", *SANDBOX_CREDENTIALS)
        }
        os.environ["WXCC_API_URL"] = base_url
        os.environ["WXCC_IDENTITY_URL"] = base_url
        for name, value in SANDBOX_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        try:
            yield f"embedded sandbox tenant at {base_url}"
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _summary(  # noqa: PLR0913
    settings,  # noqa: ANN001
    where: str,
    rows: dict[str, int],
    elapsed: float,
    keys: list[str],
    runs: int,
) -> None:
    print(
        f"Loaded {len(keys)} day(s) {keys[0]} .. {keys[-1]} from {where} in {elapsed:.1f}s "
        f"({runs} run(s))"
    )
    for table, count in sorted(rows.items()):
        print(f"  {table:<28} {count:>9,} rows this load")
    print(f"Warehouse: {settings.paths.published_path.absolute()}")
    print(f"Parquet:   {settings.paths.parquet_root.absolute()}")
    # A query over what this load landed (a reporting-only load has no Search rows), run by
    # this interpreter wherever the command was run from.
    query = next(
        (q for table, q in _TRY.items() if rows.get(table)),
        f"select count(*) from {min(rows)}" if rows else next(iter(_TRY.values())),
    )
    python = (
        os.path.relpath(sys.executable)
        if sys.executable.startswith(os.getcwd() + os.sep)
        else sys.executable
    )
    print("Try:")
    print(
        f"  {python} -c \"import duckdb; print(duckdb.connect('{settings.paths.published_path}', "
        f"read_only=True).sql('{query}'))\""
    )


# The query the summary offers, by the first of these tables the load landed rows in.
_TRY = {
    "search.task_details": "select channel_type, count(*) from search.task_details group by 1",
    "reporting.tasks": ("select attributes_channel_type, count(*) from reporting.tasks group by 1"),
    "legacy.csr": "select channel_type, count(*) from legacy.csr group by 1",
}


def console() -> None:
    """The ``wxcc-warehouse`` console script: ``main``, and after a Ctrl-C an immediate exit.

    Everything a stopped load owes is written by then (the extraction log, the published file);
    tearing down Dagster's and DuckDB's modules would only add seconds before the prompt returns.
    """
    code = main()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    exit_now(code)


if __name__ == "__main__":
    console()
