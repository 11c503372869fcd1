"""``wxcc-warehouse``: load windows through Dagster from the command line.

With ``WXCC_API_URL`` unset it starts the embedded sandbox tenant and loads from it, so a fresh
clone has something to query with one command.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines.settings import SANDBOX_CREDENTIALS, load_settings
from pipelines.sources.errors import WxccError

SOURCES = ("search", "reporting", "legacy", "wfo")
_DAGSTER_YAML = """\
# Local instance: runs and event logs in SQLite under $DAGSTER_HOME (see the repo's dagster.yaml).
telemetry:
  enabled: false
"""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # Dagster flags APIs we use (backfill policies) as beta at import; users can do nothing about it.
    warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview)")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (WxccError, ValueError) as exc:
        print(f"wxcc-warehouse: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wxcc-warehouse", description=__doc__)
    sub = parser.add_subparsers(required=True)
    load = sub.add_parser("load", help="materialize every partition covering [from, to)")
    load.add_argument("--from", dest="start", type=_day, help="first UTC day (ISO date or instant)")
    load.add_argument("--to", dest="end", type=_day, help="end (exclusive), UTC")
    load.add_argument("--last-days", type=int, help="the last N complete UTC days instead")
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
        "ui", help="the Dagster UI against the sandbox (or WXCC_API_URL), data loaded"
    )
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--last-days", type=int, default=2, help="days to load first (0: none)")
    ui.set_defaults(func=_ui)
    status = sub.add_parser("status", help="per source and org: freshest complete window, gaps")
    status.set_defaults(func=_status)
    return parser


def _ui(args: argparse.Namespace) -> int:
    """Load the last days, then run `dagster dev` with a sandbox that outlives the load."""
    settings = load_settings()
    env = dict(os.environ)
    env.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    sandbox_proc = None
    if settings.uses_sandbox:
        # The UI's code server runs in other processes: the sandbox must be a process of its own.
        sandbox_proc = subprocess.Popen(
            [_venv_tool("wxcc-sandbox"), "serve", "--port", "0"], stdout=subprocess.PIPE, text=True
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
            loaded = subprocess.run(
                [_venv_tool("wxcc-warehouse"), "load", "--last-days", str(args.last_days)], env=env
            )
            if loaded.returncode != 0:
                return loaded.returncode
        print(f"Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
        workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
        command = [_venv_tool("dagster"), "dev", "-w", str(workspace), "-h", "127.0.0.1"]
        return subprocess.run([*command, "-p", str(args.port)], env=env).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        if sandbox_proc is not None:
            sandbox_proc.terminate()
            sandbox_proc.wait(10)


def _venv_tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        raise WxccError(f"{name} is not installed next to {sys.executable}; run make run first")
    return found


def _status(_args: argparse.Namespace) -> int:
    from warehouse.ops import window_status

    settings = load_settings()
    rows = window_status(settings.paths.published_path)
    if not rows:
        print(f"No extraction has been logged in {settings.paths.published_path} yet.")
        return 0
    print(f"{'asset':<28} {'org':<12} {'org id':<38} {'complete through':<26} gaps")
    for row in rows:
        freshest = row.freshest_end.isoformat() if row.freshest_end else "-"
        gaps = ", ".join(g.date().isoformat() for g in row.gaps) or "none"
        print(f"{row.asset:<28} {row.org or '-':<12} {row.org_id:<38} {freshest:<26} {gaps}")
    return 0


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
    start, end = _range(args)
    from pipelines.partitions import day_keys  # dagster is imported only when a load needs it

    keys = day_keys(start, end)
    if not keys:
        raise ValueError(f"--from {start} --to {end} is an empty range")
    days = [date.fromisoformat(k) for k in keys]
    started = time.monotonic()
    settings = load_settings()
    from pipelines.orgs import orgs_of

    orgs = [o.name for o in orgs_of(settings)]
    unknown = sorted(set(args.org or ()) - set(orgs))
    if unknown:
        raise ValueError(f"no org named {', '.join(unknown)} is configured (known: {orgs})")
    orgs = [o for o in orgs if not args.org or o in args.org]
    with _api_environment(settings) as where:
        os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
        home = Path(os.environ["DAGSTER_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text(_DAGSTER_YAML)
        from pipelines.runner import Outcome, plan, run_chunks

        outcome = Outcome()
        sources = SOURCES if args.source == "all" else (args.source,)
        for source in sources:
            job = f"{source}_job"
            chunks, skipped = plan(settings.paths, job, orgs, days, reload=args.reload)
            if skipped:
                print(
                    f"{source}: skipping {skipped} window(s) already complete "
                    "(--reload loads them again)."
                )
            done = run_chunks(
                chunks, progress_bar=not args.no_progress and sys.stderr.isatty(), job_name=job
            )
            outcome.runs += done.runs
            for table, rows in done.rows.items():
                outcome.rows[table] = outcome.rows.get(table, 0) + rows
            if done.failure:
                outcome.failure = (f"{source} {done.failure[0]}", done.failure[1])
                break
    elapsed = time.monotonic() - started
    if outcome.failure:
        print(
            f"wxcc-warehouse: {outcome.failure[0]} failed: {outcome.failure[1]}",
            file=sys.stderr,
        )
        return 1
    _summary(settings, where, outcome.rows, elapsed, keys, outcome.runs)
    return 0


def _now() -> datetime:
    return datetime.now(UTC)  # tests pin it


def _range(args: argparse.Namespace) -> tuple[date, date]:
    if args.last_days is not None:
        if args.start or args.end:
            raise ValueError("give either --last-days or --from/--to, not both")
        today = _now().date()
        return today - timedelta(days=args.last_days), today
    if not (args.start and args.end):
        raise ValueError("give --from and --to (UTC dates, [from, to)) or --last-days N")
    if args.end <= args.start:
        raise ValueError(f"--to {args.end} must be after --from {args.start}")
    return args.start, args.end


@contextmanager
def _api_environment(settings) -> Iterator[str]:  # noqa: ANN001
    """The configured tenant, or an embedded sandbox for the duration of the load."""
    if not settings.uses_sandbox:
        settings.require_credentials()
        yield settings.api_url
        return
    from sandbox.server import serve_in_background

    with serve_in_background() as base_url:
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
    print("Try:")
    print(
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{settings.paths.published_path}', "
        "read_only=True).sql('select channel_type, count(*) from search.task_details group by 1'))\""
    )


if __name__ == "__main__":
    sys.exit(main())
