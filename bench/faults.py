"""The fault matrix: every case runs ``wxcc-warehouse load`` to the end against a sandbox that
misbehaves (or a machine that does), then compares the warehouse with ``wxcc-sandbox truth``.

    .venv/bin/python -m bench.faults [--only NAME[,NAME...]] [--kills 20] [--out docs/reliability.md]

A case ends in one of two good ways: **equal** to truth, or **failed loudly** (non-zero exit with
a one-line reason, the window ``failure`` in ``ops.extraction_log``, nothing wrong in the
published warehouse: no duplicated or wrong row, only rows not yet loaded missing) and then
**recovered**: once the fault is cleared, a plain re-run equals truth. Anything else is a defect
and the matrix says so. After the matrix a secrets scan reads everything the runs left: their
stdout and stderr, the Dagster instance (event log, run storage, compute logs), every Parquet and
DuckDB file (values decoded, not only bytes) and checks state files are owner-only.

The last line is the figure:
``faults: N cases, E equal to truth, R failed loudly then recovered, L rows lost, D rows duplicated,
S secrets leaked``. ``L`` and ``D`` count rows lost or duplicated where a load said it succeeded,
or left after the recovery run: rows a loudly failed window has not loaded yet are not lost.

Every load is a real ``python -m pipelines.cli load`` process (the command users run) against a
sandbox served from this process, so the harness sees what the fault did (``fired``) and which
tokens the sandbox issued (the secrets to look for).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import yaml

REPO = Path(__file__).resolve().parents[1]
SEED = 42
NOW = "2026-11-20T15:30:00"
DAY = date(2026, 11, 18)
SEARCH_VOLUME = 300  # tasks a day: the taskDetails window (250 a page) pages more than once
BUSY = 3000  # tasks a day whose agent activities and legacy CARs pass the 10,000-record caps
VOLUME = 100  # the other families: their faults need answers, not volume
LOAD_TIMEOUT_S = 600
SUMMARY = re.compile(r"^faults: \d+ cases")

# Development credentials: what the scan looks for besides the tokens the sandbox issued.
STATIC_SECRETS = {
    "client secret": "sandbox-secret",
    "refresh token": "sandbox-refresh",
    "legacy API key": "sandbox-api-key",
    "WFO password": "sandbox-password",
}
WFO_SESSION = re.compile(rb"HZ[0-9A-F]{32}")


def ms(moment: datetime | date) -> int:
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return int(moment.timestamp() * 1000)


# -- what the sandbox issued -----------------------------------------------------------------------


class Issued:
    """Every token the harness's sandboxes minted: the secrets a scan must not find."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.lock = threading.Lock()

    def install(self) -> None:
        from sandbox import auth

        if getattr(auth.TokenService._mint, "recorded", False):
            return
        original = auth.TokenService._mint
        issued = self

        def mint(service: Any, kind: int, lifetime_s: int) -> str:
            token = original(service, kind, lifetime_s)
            with issued.lock:
                issued.tokens.add(token)
            return token

        mint.recorded = True  # type: ignore[attr-defined]
        auth.TokenService._mint = mint  # type: ignore[method-assign]


ISSUED = Issued()


@contextlib.contextmanager
def sandbox(
    volume: int, faults: str | list[str] = "none", options: dict[str, Any] | None = None
) -> Iterator[tuple[str, Any]]:
    """A sandbox with ``faults`` in a thread of this process: its URL and its fault set."""
    from sandbox.server import base_url, bind, build_app, uvicorn_server

    app = build_app(
        seed=SEED,
        tasks_per_day=volume,
        now_ms=ms(datetime.fromisoformat(NOW).replace(tzinfo=UTC)),
        budget_per_minute=0,
        faults=faults,
        options=options,
    )
    sock = bind(0)
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    # uvicorn configures its loggers when it starts; a connection-reset fault is its "error".
    logging.getLogger("uvicorn.error").disabled = True
    try:
        yield base_url(sock), app.state.sandbox.faults
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


# -- running a load --------------------------------------------------------------------------------


@dataclass
class Env:
    """One case's machine: its data directory, Dagster home and environment."""

    root: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def home(self) -> Path:
        return self.root / "dagster"

    def environ(self, url: str | None) -> dict[str, str]:
        from pipelines.settings import SANDBOX_CREDENTIALS

        env = {k: v for k, v in os.environ.items() if not k.startswith(("WXCC_", "WFO_"))}
        env.update(SANDBOX_CREDENTIALS)
        env.update(
            WXCC_DATA_DIR=str(self.data),
            DAGSTER_HOME=str(self.home),
            PYTHONPATH=str(REPO),
            WXCC_WINDOW_WORKERS="2",
        )
        if url is not None:
            env.update(WXCC_API_URL=url, WXCC_IDENTITY_URL=url)
        env.update(self.extra)
        return env


@dataclass
class Run:
    """What one ``wxcc-warehouse load`` did."""

    argv: list[str]
    rc: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def reason(self) -> str:
        """The last stderr line (the one-line reason of a failed load)."""
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        return lines[-1].strip() if lines else ""

    @property
    def one_line(self) -> bool:
        """A failed load told the user one sentence, no traceback."""
        return "Traceback" not in self.stderr and self.reason.startswith("wxcc-warehouse:")


OUTPUTS: list[str] = []  # every stdout and stderr, for the secrets scan


def load_args(source: str, start: date = DAY, days: int = 1, *more: str) -> list[str]:
    end = start + timedelta(days=days)
    return ["load", "--from", start.isoformat(), "--to", end.isoformat(), "--source", source,
            "--no-progress", *more]  # fmt: skip


# A Dagster instance created once and copied into each case's Dagster home: creating and
# migrating one costs a load about a second of CPU, and no case is about that.
TEMPLATE_HOME: list[Path] = []


def template_home(work: Path) -> None:
    from pipelines.operating import prepare_instance

    home = work / "dagster-template"
    prepare_instance(home)
    TEMPLATE_HOME.append(home)


def start_load(env: Env, url: str | None, args: list[str], **popen: Any) -> subprocess.Popen[str]:
    env.root.mkdir(parents=True, exist_ok=True)
    if TEMPLATE_HOME and not env.home.exists():
        shutil.copytree(TEMPLATE_HOME[0], env.home)
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=env.environ(url),
        cwd=env.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def finish(proc: subprocess.Popen[str], args: list[str], started: float) -> Run:
    try:
        out, err = proc.communicate(timeout=LOAD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\nharness: the load did not end within the timeout"
    OUTPUTS.extend((out, err))
    return Run(args, proc.returncode, out, err, time.monotonic() - started)


def load(env: Env, url: str | None, args: list[str], **popen: Any) -> Run:
    started = time.monotonic()
    return finish(start_load(env, url, args, **popen), args, started)


# -- comparing with truth --------------------------------------------------------------------------


@dataclass
class Figures:
    expected: int = 0
    landed: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong: int = 0  # keys whose values differ, and keys truth does not have
    tables: dict[str, str] = field(default_factory=dict)  # table -> what differs

    @property
    def equal(self) -> bool:
        return self.lost == self.duplicated == self.wrong == 0 and self.expected == self.landed

    def short(self) -> str:
        return (
            f"{self.expected} expected, {self.landed} landed, {self.lost} lost, "
            f"{self.duplicated} duplicated, {self.wrong} wrong"
        )


_TRUTH: dict[tuple[Any, ...], Path] = {}
_TRUTH_LOCK = threading.Lock()


def truth(
    family: str, volume: int, start: date, days: int, config: dict[str, Any] | None = None
) -> Path:
    """``wxcc-sandbox truth`` of one family (cached by its arguments)."""

    key = (family, volume, start, days, json.dumps(config, sort_keys=True, default=str))
    with _TRUTH_LOCK:
        return _truth(key, family, volume, start, days, config)


def _truth(
    key: tuple[Any, ...],
    family: str,
    volume: int,
    start: date,
    days: int,
    config: dict[str, Any] | None,
) -> Path:
    from sandbox.truth import write_truth

    if key not in _TRUTH:
        out = Path(tempfile.mkdtemp(prefix=f"truth-{family}-"))
        write_truth(
            out,
            seed=SEED,
            tasks_per_day=volume,
            now_ms=ms(datetime.fromisoformat(NOW).replace(tzinfo=UTC)),
            from_ms=ms(start),
            to_ms=ms(start + timedelta(days=days)),
            config=config,
            families=(family,),
        )
        _TRUTH[key] = out
    return _TRUTH[key]


# Pre-signed recording URLs and their expiry depend on when they were asked for: truth leaves
# them NULL and every comparison leaves them out (as tests/reporting/test_e2e.py does).
VOLATILE = {"attributes_file_path", "url_expires_at"}


def compare(db: Path, truth_dir: Path, skip: frozenset[str] = frozenset()) -> Figures:
    """Row figures of the published warehouse ``db`` against every truth file in ``truth_dir``
    (but the tables named in ``skip``)."""
    from warehouse.catalog import TABLES

    figures = Figures()
    con = duckdb.connect(str(db), read_only=True) if db.exists() else None
    try:
        for path in sorted(truth_dir.glob("*.parquet")):
            name = path.name.removesuffix(".parquet")
            if name in skip:
                continue
            table = TABLES.get(name)
            want = pq.read_table(path).to_pylist()
            figures.expected += len(want)
            if table is None:
                figures.tables[name] = "not in the catalog"
                continue
            got: list[dict[str, Any]] = []
            if con is not None:
                try:
                    rel = con.sql(f"SELECT * FROM {table.qualified_name}")  # catalog names only
                    cols = [d[0] for d in rel.description]
                    got = [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
                except duckdb.CatalogException:
                    got = []
            figures.landed += len(got)
            keys = ("org_id", *table.key)
            json_cols = {c.name for c in table.columns if c.kind == "json"}
            want_by = {tuple(r[k] for k in keys): r for r in want}
            got_by: dict[tuple[Any, ...], dict[str, Any]] = {}
            dupes = 0
            for r in got:
                k = tuple(r[c] for c in keys)
                dupes += k in got_by
                got_by[k] = r
            lost = len(set(want_by) - set(got_by))
            extra = len(set(got_by) - set(want_by))
            differ = sum(
                1 for k in set(want_by) & set(got_by) if not _same(want_by[k], got_by[k], json_cols)
            )
            figures.lost += lost
            figures.duplicated += dupes
            figures.wrong += differ + extra
            if lost or dupes or differ or extra:
                figures.tables[name] = (
                    f"{lost} lost, {dupes} duplicated, {differ} wrong, {extra} unexpected"
                )
    finally:
        if con is not None:
            con.close()
    return figures


def _same(want: dict[str, Any], got: dict[str, Any], json_cols: set[str]) -> bool:
    if set(want) != set(got):
        return False
    for name, a in want.items():
        if name in VOLATILE:
            continue
        b = got[name]
        if name in json_cols and a is not None and b is not None:
            a, b = json.loads(a), json.loads(b)
        if a != b:
            return False
    return True


def _log_rows(data: Path) -> list[tuple[str, int, str]]:
    """``(asset, window_start, status)`` of every attempt in ``ops.extraction_log``, oldest
    first, from the window store (``store/warehouse.sqlite``: the log lives there since the
    storage path of issue 16; the published file holds a copy as of its last publish)."""
    store = data / "store" / "warehouse.sqlite"
    if not store.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(
                "SELECT asset, window_start, status FROM extraction_log ORDER BY started"
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []


def failures_logged(data: Path, asset_prefix: str) -> int:
    """Windows of ``asset_prefix`` whose latest attempt is ``failure`` in ``ops.extraction_log``."""
    latest: dict[tuple[Any, ...], str] = {}
    for asset, window, status in _log_rows(data):
        if str(asset).startswith(asset_prefix):
            latest[(asset, window)] = status
    return sum(1 for s in latest.values() if s == "failure")


def attempts_logged(data: Path, asset_prefix: str) -> int:
    """Attempts of ``asset_prefix`` windows in ``ops.extraction_log`` (0: no window began)."""
    return sum(1 for (asset, _w, _s) in _log_rows(data) if str(asset).startswith(asset_prefix))


def status_failure(env: Env) -> str:
    """The line of ``wxcc-warehouse status`` that shows a failure (a failed window, or the
    latest load's outcome when it failed before any window), or ``""``."""
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "status"],
        env=env.environ(None),
        cwd=env.root,
        capture_output=True,
        text=True,
        timeout=LOAD_TIMEOUT_S,
        check=False,
    )
    OUTPUTS.extend((proc.stdout, proc.stderr))
    for line in proc.stdout.splitlines():
        last_failed = line.startswith("Last load") and " failed" in line
        if last_failed or line.strip().startswith("failed "):
            return line.strip()
    return ""


# -- cases -----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: str
    group: str
    injected: str
    did: str = ""
    figures: Figures = field(default_factory=Figures)
    result: str = ""  # "equal", "recovered", or what went wrong
    lost: int = 0  # rows lost or duplicated silently or after recovery (the summary's L and D)
    duplicated: int = 0
    seconds: float = 0.0
    fired: int = 0

    @property
    def good(self) -> bool:
        return self.result in ("equal", "recovered")


@dataclass
class Case:
    name: str
    group: str
    source: str
    faults: list[str] = field(default_factory=list)
    injected: str = ""
    volume: int = VOLUME
    options: dict[str, Any] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    fast: bool = False  # part of the subset ``make test`` runs
    weight: int = 1  # how long it runs, roughly: the heaviest start first
    custom: Callable[[Case, Path], Outcome] | None = None


def judge(
    case: Case,
    env: Env,
    first: Run,
    truth_dir: Path,
    fired: int,
    recover: Callable[[], Run] | None = None,
) -> Outcome:
    """The verdict of a case whose faulted load was ``first``: equal, or loud then recovered."""
    figures = compare(env.data / "warehouse.duckdb", truth_dir)
    out = Outcome(case.name, case.group, case.injected, figures=figures, fired=fired)
    did = f"exit {first.rc}"
    if first.rc != 0:
        did += f": {_clip(first.reason)}"
    if first.rc == 0 and figures.equal:
        out.result = "equal"
        out.did = did
        return out
    if first.rc == 0:  # said it succeeded, and is not equal: rows lost silently
        out.result = f"NOT OK: the load succeeded but {figures.short()}"
        out.lost, out.duplicated = figures.lost, figures.duplicated
        out.did = did
        return out
    problems = []
    if not first.one_line:
        problems.append("no one-line reason")
    logged = failures_logged(env.data, case.source)
    begun = attempts_logged(env.data, case.source)
    # A load that failed before any window began (sign-in, an unreachable API) has no window to
    # mark: what it promises instead (docs/operating.md) is `status` naming the failure.
    shown = "" if logged else status_failure(env)
    if not logged and not shown:
        problems.append("no failed window in ops.extraction_log, and `status` shows no failure")
    if figures.duplicated or figures.wrong:
        problems.append(f"the published warehouse holds wrong rows ({figures.short()})")
        out.duplicated = figures.duplicated
    again = recover() if recover is not None else load(env, None, first.argv)
    after = compare(env.data / "warehouse.duckdb", truth_dir)
    if logged or not shown:
        did += f"; {logged} window(s) marked failed" + ("" if begun else " (no attempt logged)")
    elif begun:  # every window landed; what failed came after them (the publish)
        did += f"; every window landed ({begun} attempts), none failed; `status` says: "
        did += _clip(shown, 120)
    else:
        did += f"; no window began; `status` says: {_clip(shown, 120)}"
    did += f"; re-run after the fault cleared: exit {again.rc}"
    if again.rc != 0:
        did += f": {_clip(again.reason)}"
    out.did = did
    if again.rc != 0 or not after.equal:
        problems.append(f"the re-run did not recover ({after.short()})")
        out.lost += after.lost
        out.duplicated += after.duplicated
    out.figures = figures
    out.result = "recovered" if not problems else "NOT OK: " + "; ".join(problems)
    return out


def _clip(text: str, limit: int = 170) -> str:
    text = text.replace("|", "/").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _family_of(source: str) -> str:
    return source


def run_sandbox_case(case: Case, root: Path) -> Outcome:
    """The common case: a load of ``DAY`` against a sandbox with the case's faults, then (if it
    did not equal truth) a re-run against a sandbox without them."""
    env = Env(root, dict(case.extra_env))
    args = load_args(case.source)
    options = dict(case.options)
    where: list[str] = []
    if "refresh-rotated" in case.faults:
        options["faults.other_process"] = lambda: _other_process(env, where[0])
    with sandbox(case.volume, case.faults, options) as (url, faults):
        where.append(url)
        first = load(env, url, args)
        fired = sum(faults.fired.values())
    truth_dir = truth(_family_of(case.source), case.volume, DAY, 1)

    def recover() -> Run:
        with sandbox(case.volume) as (clean, _f):
            return load(env, clean, args)

    return judge(case, env, first, truth_dir, fired, recover)


def _other_process(env: Env, url: str) -> None:
    """Another process of ours refreshing the token mid-run: its own token client on the same
    state file (under the same file lock), as a second load or the UI's code server would."""
    from pipelines.settings import SANDBOX_CREDENTIALS
    from pipelines.sources.auth import TokenProvider

    with TokenProvider(
        identity_url=url,
        client_id=SANDBOX_CREDENTIALS["WXCC_CLIENT_ID"],
        client_secret=SANDBOX_CREDENTIALS["WXCC_CLIENT_SECRET"],
        refresh_token=SANDBOX_CREDENTIALS["WXCC_REFRESH_TOKEN"],
        state_dir=env.data / "state" / "default",
    ) as other:
        other.invalidate(other.token())  # what it holds is stale to it: it refreshes
        other.token()


# -- our own machine -------------------------------------------------------------------------------


def sigkill_case(kills: int, chains: int = 4) -> Callable[[Case, Path], Outcome]:
    """``kills`` SIGKILLs of a 3-day ``load --reload``, each at a random moment of it and each
    followed by a plain re-run compared with truth; in ``chains`` data directories at once (each
    chain kills its own loads one after another), so twenty kills fit the matrix's time."""

    def chain(
        n_chain: int, count: int, root: Path, url: str
    ) -> tuple[list[str], list[str], Figures]:
        env = Env(root / f"chain-{n_chain}")
        start, days = DAY - timedelta(days=2), 3
        args = load_args("search", start, days)
        rng = random.Random(f"sigkill-{n_chain}")
        truth_dir = truth("search", 60, start, days)
        notes: list[str] = []
        bad: list[str] = []
        full = load(env, url, [*args, "--reload"])
        span = max(full.seconds, 2.0)
        figures = Figures()
        for n in range(count):
            at = rng.uniform(0.5, span)
            started = time.monotonic()
            proc = start_load(env, url, [*args, "--reload"])
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(at)
            killed = proc.poll() is None
            if killed:
                proc.send_signal(signal.SIGKILL)
            finish(proc, args, started)
            again = load(env, url, args)
            figures = compare(env.data / "warehouse.duckdb", truth_dir)
            notes.append(f"{at:.1f}s{'' if killed else ' (ended first)'}")
            if again.rc != 0 or not figures.equal:
                bad.append(f"kill {n + 1} at {at:.1f}s: exit {again.rc}, {figures.short()}")
        return notes, bad, figures

    def run(case: Case, root: Path) -> Outcome:
        counts = [kills // chains + (i < kills % chains) for i in range(chains)]
        with sandbox(60) as (url, _faults), ThreadPoolExecutor(chains) as pool:
            results = list(
                pool.map(lambda i: chain(i, counts[i], root, url), range(chains) if kills else [])
            )
        notes = [n for r in results for n in r[0]]
        bad = [b for r in results for b in r[1]]
        out = Outcome(case.name, case.group, case.injected)
        if results:
            out.figures = results[0][2]
        out.did = (
            f"{len(notes)} kills at {', '.join(notes)} (into the load); each followed by a plain "
            f"re-run, compared with truth"
        )
        out.result = "equal" if not bad else "NOT OK: " + "; ".join(bad[:3])
        out.lost = sum(r[2].lost for r in results if r[1])
        out.duplicated = sum(r[2].duplicated for r in results if r[1])
        return out

    return run


DISK_BYTES = 1536 * 1024  # the small disk: a search day at SEARCH_VOLUME needs more


def disk_full(case: Case, root: Path) -> Outcome:
    """The data directory's disk fills up mid-load. As root (containers, CI) the data directory
    is a tmpfs of ``DISK_BYTES``: writes fail with ENOSPC as on a full disk, and "free some
    space" is growing it (``remount,size=``). Elsewhere the load's files may not grow past that
    size (``RLIMIT_FSIZE``: a write past it fails with EFBIG)."""
    env = Env(root)
    args = load_args("search")
    env.data.mkdir(parents=True, exist_ok=True)
    tmpfs = _mount_tmpfs(env.data, DISK_BYTES)

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (DISK_BYTES, DISK_BYTES))

    try:
        with sandbox(SEARCH_VOLUME) as (url, _f):
            first = load(env, url, args, **({} if tmpfs else {"preexec_fn": limited}))
        used = shutil.disk_usage(env.data).used if tmpfs else 0
        truth_dir = truth("search", SEARCH_VOLUME, DAY, 1)

        def recover() -> Run:
            if tmpfs:  # space freed: the disk grows, the files stay
                _run(["mount", "-o", "remount,size=256m", str(env.data)])
            with sandbox(SEARCH_VOLUME) as (clean, _f):
                return load(env, clean, args)

        out = judge(case, env, first, truth_dir, 1, recover)
        if first.rc and "disk is full" not in first.reason and tmpfs:
            out.result = "NOT OK: the one-line reason does not say the disk is full"
    finally:
        if tmpfs:  # keep its files for the secrets scan, then give the memory back
            shutil.copytree(env.data, root / "data-on-tmpfs", symlinks=True)
            _run(["umount", str(env.data)])
    size = f"{DISK_BYTES // 1024} KiB"
    out.injected += (
        f" (a {size} tmpfs: ENOSPC; {used // 1024} KiB used when the load ended)"
        if tmpfs
        else f" (files capped at {size}: EFBIG)"
    )
    return out


def _run(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=60, check=False).returncode == 0
    except OSError:
        return False


def _mount_tmpfs(path: Path, size: int) -> bool:
    """A tmpfs of ``size`` bytes at ``path`` if this process may mount one (root)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return _run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)])


def reader_holds(case: Case, root: Path) -> Outcome:
    """A reader keeps ``warehouse.duckdb`` open (read-only), reopening it at once, during a
    3-day load: every publish happens with the file held."""
    env = Env(root)
    start, days = DAY - timedelta(days=2), 3
    args = load_args("search", start, days)
    published = env.data / "warehouse.duckdb"
    stop = threading.Event()
    reads = {"opened": 0, "failed": 0, "errors": set()}

    def reader() -> None:
        while not stop.is_set():
            if not published.exists():
                time.sleep(0.02)
                continue
            try:
                with duckdb.connect(str(published), read_only=True) as con:
                    con.execute("SELECT count(*) FROM search.task_details").fetchone()
                    reads["opened"] += 1
                    time.sleep(0.2)  # held open while the load publishes
            except duckdb.Error as exc:
                reads["failed"] += 1
                reads["errors"].add(str(exc).splitlines()[0][:100])  # type: ignore[union-attr]

    thread = threading.Thread(target=reader, daemon=True)
    with sandbox(VOLUME) as (url, _f):
        thread.start()
        first = load(env, url, args)
        stop.set()
        thread.join(5)
    truth_dir = truth("search", VOLUME, start, days)
    out = judge(case, env, first, truth_dir, 1)
    out.did += f"; reader opened the file {reads['opened']} times, failed {reads['failed']}"
    if reads["failed"]:
        out.did += f" ({'; '.join(sorted(reads['errors']))[:120]})"  # type: ignore[arg-type]
    return out


def clock_jump(case: Case, root: Path) -> Outcome:
    """The load's clock jumps back an hour 3 s into the run (``time.time`` patched in the load's
    process by a bootstrap; monotonic time is untouched, as on a real machine)."""
    env = Env(root)
    args = load_args("search")
    boot = (
        "import sys, time\n"
        "real = time.time\n"
        "t0 = time.monotonic()\n"
        "time.time = lambda: real() - (3600 if time.monotonic() - t0 > 3 else 0)\n"
        "from pipelines.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    root.mkdir(parents=True, exist_ok=True)
    with sandbox(SEARCH_VOLUME) as (url, _f):
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", boot, *args],
            env=env.environ(url),
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = finish(proc, args, started)
    return judge(case, env, first, truth("search", SEARCH_VOLUME, DAY, 1), 1)


def wfo_restart(case: Case, root: Path) -> Outcome:
    """Every WFO export goes asynchronous (ready after 6 s); our process is killed right after
    its first export request, so the request id it held is lost; a plain re-run follows."""
    env = Env(root)
    args = load_args("wfo")
    with sandbox(VOLUME, ["wfo-async"]) as (url, _f):
        started = time.monotonic()
        proc = start_load(env, url, args)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if _f.fired.get("wfo-async"):
                time.sleep(0.5)  # its answer (the request id) is on its way to the load
                break
            time.sleep(0.05)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        finish(proc, args, started)
        again = load(env, url, args)
    out = judge(case, env, again, truth("wfo", VOLUME, DAY, 1), int(killed))
    out.did = (
        "killed after its first export request; " if killed else "ended before the kill; "
    ) + out.did
    return out


# -- a user's mistakes and accidents ---------------------------------------------------------------


def two_loads(case: Case, root: Path) -> Outcome:
    env = Env(root)
    args = load_args("search")
    with sandbox(SEARCH_VOLUME) as (url, _f):
        started = time.monotonic()
        a = start_load(env, url, args)
        b = start_load(env, url, args)
        ra, rb = finish(a, args, started), finish(b, args, started)
    truth_dir = truth("search", SEARCH_VOLUME, DAY, 1)
    figures = compare(env.data / "warehouse.duckdb", truth_dir)
    out = Outcome(case.name, case.group, case.injected, figures=figures)
    out.did = f"first exit {ra.rc}, second exit {rb.rc}" + "".join(
        f"; {_clip(r.reason, 120)}" for r in (ra, rb) if r.rc
    )
    if ra.rc == rb.rc == 0 and figures.equal:
        out.result = "equal"
        return out
    failed = [r for r in (ra, rb) if r.rc]
    loud = all(r.one_line for r in failed) and not figures.duplicated and not figures.wrong
    with sandbox(SEARCH_VOLUME) as (url, _f):
        again = load(env, url, args)
    after = compare(env.data / "warehouse.duckdb", truth_dir)
    out.did += f"; plain re-run: exit {again.rc}"
    if loud and failed and again.rc == 0 and after.equal:
        out.result = "recovered"
    else:
        problems = []
        if not failed:
            problems.append(f"both loads said they succeeded but {figures.short()}")
        elif not loud:
            problems.append("a failure without a one-line reason, or wrong rows published")
        if again.rc or not after.equal:
            problems.append(f"the re-run did not recover ({after.short()})")
        out.result = "NOT OK: " + "; ".join(problems)
        out.lost, out.duplicated = after.lost, after.duplicated
    return out


def stopped_by(signum: signal.Signals, group: bool) -> Callable[[Case, Path], Outcome]:
    """The load stopped by ``signum`` once its windows land, sent to its process alone
    (``kill``) or, with ``group``, to its whole process group: a terminal's Ctrl-C and
    systemd's stop reach every process of the load (its lanes, Dagster's log copiers)."""
    said = "Ctrl-C" if signum == signal.SIGINT else signum.name

    def case_(case: Case, root: Path) -> Outcome:
        env = Env(root)
        args = load_args("search", DAY - timedelta(days=1), 2)
        with sandbox(SEARCH_VOLUME) as (url, _f):
            started = time.monotonic()
            proc = start_load(env, url, args, start_new_session=group)
            # Stopped once windows are landing (a fixed delay lands in Dagster's start-up on a
            # loaded machine): the first attempt logged, and a second more.
            deadline = time.monotonic() + LOAD_TIMEOUT_S
            while proc.poll() is None and time.monotonic() < deadline and not _log_rows(env.data):
                time.sleep(0.2)
            time.sleep(1)
            at = time.monotonic() - started
            if group:
                os.killpg(proc.pid, signum)
            else:
                proc.send_signal(signum)
            first = finish(proc, args, started)
            marked = failures_logged(env.data, "search")
            again = load(env, url, args)
        truth_dir = truth("search", SEARCH_VOLUME, DAY - timedelta(days=1), 2)
        figures = compare(env.data / "warehouse.duckdb", truth_dir)
        out = Outcome(case.name, case.group, case.injected, figures=figures)
        out.did = (
            f"{signum.name} {'to the process group ' if group else ''}{at:.0f} s in (1 s after "
            f"its first window began): exit {first.rc}"
        )
        if first.rc:
            out.did += (
                f" ({'one line' if first.one_line else 'a traceback'}: "
                f"{_clip(first.reason, 140)}); {marked} window(s) marked failed"
            )
        out.did += f"; plain re-run: exit {again.rc}"
        ok = again.rc == 0 and figures.equal
        named = first.rc == 0 or f"stopped ({said})" in first.reason
        if ok and named and (first.rc == 0 or (first.one_line and first.rc == 130)):
            out.result = "equal" if first.rc == 0 else "recovered"
        else:
            why = []
            if not ok:
                why.append(f"the re-run did not recover ({figures.short()})")
            if first.rc and not first.one_line:
                why.append(f"{signum.name} printed a traceback or more, not one line")
            if first.rc not in (0, 130):
                why.append(f"exit {first.rc}, not 130")
            if not named:
                why.append(f"the line does not say stopped ({said})")
            out.result = "NOT OK: " + "; ".join(why)
            out.lost, out.duplicated = figures.lost, figures.duplicated
        return out

    return case_


def lost_dir(which: str) -> Callable[[Case, Path], Outcome]:
    """``which`` (``parquet``, ``warehouse.duckdb`` or ``store``) of ``$WXCC_DATA_DIR`` deleted
    between two loads of the same day. docs/operating.md says what each must do: Parquet files
    and the published file are derived and come back on the next load; the store is the only
    copy of which files are current, so a load refuses to publish without it and says how to
    start again (move the published file and ``parquet/`` aside), which the case then does."""

    def run(case: Case, root: Path) -> Outcome:
        env = Env(root)
        args = load_args("search")
        truth_dir = truth("search", VOLUME, DAY, 1)
        lost = env.data / which
        with sandbox(VOLUME) as (url, _f):
            first = load(env, url, args)
            if lost.is_dir():
                shutil.rmtree(lost)
            else:
                lost.unlink()
            again = load(env, url, args)
            refused = ""
            if which == "store" and again.rc:
                refused = again.reason
                aside = root / "aside"
                aside.mkdir()
                for name in ("warehouse.duckdb", "parquet"):
                    if (env.data / name).exists():
                        (env.data / name).rename(aside / name)
                again = load(env, url, args)
        figures = compare(env.data / "warehouse.duckdb", truth_dir)
        parquet_rows = _parquet_rows(env.data / "parquet" / "search" / "task_details")
        want = pq.read_table(truth_dir / "search.task_details.parquet").num_rows
        out = Outcome(case.name, case.group, case.injected, figures=figures)
        out.did = f"first load exit {first.rc}; {which} deleted; "
        if which == "store":
            out.did += (
                f"the next load refused: {_clip(refused, 150)}; with warehouse.duckdb and "
                f"parquet/ moved aside as it says, a load exit {again.rc}"
            )
        else:
            out.did += f"plain re-run exit {again.rc}"
        out.did += (f" ({_clip(again.reason, 100)})" if again.rc else "") + (
            f"; Parquet holds {parquet_rows} of {want} task_details rows"
        )
        problems = []
        if which == "store" and not (refused.startswith("wxcc-warehouse:") and "store" in refused):
            problems.append("the load without its store did not refuse in one line")
        if again.rc or not figures.equal or parquet_rows != want:
            problems.append(
                f"after the re-run the warehouse has {figures.short()}, Parquet "
                f"{parquet_rows} of {want} rows"
            )
            out.lost = figures.lost + max(0, want - parquet_rows)
            out.duplicated = figures.duplicated
        if problems:
            out.result = "NOT OK: " + "; ".join(problems)
        else:
            out.result = "recovered" if which == "store" else "equal"
        return out

    return run


def _parquet_rows(directory: Path) -> int:
    files = sorted(directory.rglob("*.parquet"))
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def unreachable(case: Case, root: Path) -> Outcome:
    env = Env(root)
    args = load_args("search")
    probe = __import__("socket").socket()
    probe.bind(("127.0.0.1", 0))
    closed = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening: refused
    first = load(env, closed, args)
    probe.close()

    def recover() -> Run:
        with sandbox(VOLUME) as (url, _f):
            return load(env, url, args)

    return judge(case, env, first, truth("search", VOLUME, DAY, 1), 1, recover)


# -- hostile input ---------------------------------------------------------------------------------


def hostile_config(kind: str) -> Callable[[Case, Path], Outcome]:
    """``WXCC_CONFIG`` naming an org, a WFO report or a CAD variable with ``/``, ``..``, quotes,
    spaces and non-ASCII: refused with one clear line, or used safely (no path outside the data
    directory, nothing broken in the warehouse)."""

    def run(case: Case, root: Path) -> Outcome:
        from warehouse.schemas_wfo import DEFAULT_REPORTS_CONFIG

        env = Env(root)
        hostile = "../../ev il\"'; DROP TABLE x; --é/ü"
        source = {"org": "search", "report": "wfo", "cad": "search"}[kind]
        config: dict[str, Any] = {}
        if kind == "org":
            config["orgs"] = [
                {
                    "name": hostile,
                    "client_id_env": "WXCC_CLIENT_ID",
                    "client_secret_env": "WXCC_CLIENT_SECRET",
                    "refresh_token_env": "WXCC_REFRESH_TOKEN",
                }
            ]
        elif kind == "report":
            report = json.loads(json.dumps(DEFAULT_REPORTS_CONFIG[0]))
            report["table"] = hostile
            fixed = {report["time_column"], *report["key"]}
            column = next(c for c in reversed(report["columns"]) if c["name"] not in fixed)
            old, column["name"] = column["name"], 'a"b c/../é'
            for labels in report.get("headers", {}).values():
                for label, name in list(labels.items()):
                    if name == old:
                        labels[label] = column["name"]
            config["wfo_reports"] = [report]
        else:
            config["cad_variables"] = [{"name": hostile, "type": "string"}]
        path = root / "hostile.yaml"  # not ./wxcc.yaml, which a load reads by default
        root.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        env.extra["WXCC_CONFIG"] = str(path)
        args = load_args(source)
        with sandbox(VOLUME) as (url, _f):
            first = load(env, url, args)
        outside = sorted(p for p in _hostile_paths(root.parent) if not _inside(p, env.data))
        out = Outcome(case.name, case.group, case.injected)
        out.did = f"exit {first.rc}" + (f": {_clip(first.reason, 140)}" if first.rc else "")
        if outside:
            out.result = f"NOT OK: wrote outside the data directory: {outside[:2]}"
            return out
        if first.rc == 0:
            # Used: the warehouse must hold sane rows (the hostile name only as data).
            out.did += "; used safely (no path outside the data directory)"
            truth_cfg = config if kind == "report" else None
            # With the hostile CAD variable configured, only it would land (the tenant sets
            # no such variable): task_variable is checked to be empty, the rest against truth.
            skip = frozenset({"search.task_variable"}) if kind == "cad" else frozenset()
            try:
                figures = compare(
                    env.data / "warehouse.duckdb", truth(source, VOLUME, DAY, 1, truth_cfg), skip
                )
                if kind == "cad":
                    with duckdb.connect(str(env.data / "warehouse.duckdb"), read_only=True) as con:
                        (odd,) = con.execute(
                            "SELECT count(*) FROM search.task_variable WHERE name <> ?",
                            [config["cad_variables"][0]["name"]],
                        ).fetchone() or (0,)
                    figures.wrong += odd
            except Exception as exc:  # noqa: BLE001 - reported in the matrix
                out.result = f"NOT OK: truth could not be compared: {_clip(str(exc), 100)}"
                return out
            out.figures = figures
            if figures.equal:
                out.result = "equal"
            else:
                out.result = f"NOT OK: {figures.short()}"
            return out
        if not first.one_line:
            out.result = "NOT OK: refused with a traceback, not one line"
            return out
        env.extra.pop("WXCC_CONFIG")
        with sandbox(VOLUME) as (url, _f):
            again = load(env, url, args)
        figures = compare(env.data / "warehouse.duckdb", truth(source, VOLUME, DAY, 1))
        out.figures = figures
        out.did += f"; refused clearly; with a sane config: exit {again.rc}"
        out.result = (
            "recovered" if again.rc == 0 and figures.equal else f"NOT OK: {figures.short()}"
        )
        return out

    return run


MARKS = ("ev il", "DROP TABLE", "é")  # parts of the hostile names, as a path would show them


def _hostile_paths(work: Path) -> list[Path]:
    """Paths named after a hostile name: anywhere under the matrix's work directory (every
    case's files) and one level into its parent (where ``../..`` from a data directory leads)."""
    found = [p for p in work.rglob("*") if any(m in p.name for m in MARKS)]
    found += [p for p in work.parent.iterdir() if any(m in p.name for m in MARKS)]
    return found


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


LEGACY_TABLES = {
    "csrs": "legacy.csr",
    "cars": "legacy.car",
    "asrs": "legacy.asr",
    "aars": "legacy.aar",
}


def hostile_values(case: Case, root: Path) -> Outcome:
    """Records carrying hostile values or ids (the ``hostile-*`` and ``csv-newlines`` faults):
    stored exactly, or the window refused loudly naming the field. The sandbox reports what it
    planted; truth with exactly those values planted must then equal the warehouse, every row
    and every column."""
    env = Env(root, dict(case.extra_env))
    args = load_args(case.source)
    with sandbox(case.volume, case.faults) as (url, faults):
        first = load(env, url, args)
        fired = sum(faults.fired.values())
        planted = dict(getattr(faults.faults[0], "planted", {}))
    truth_dir = truth(case.source, case.volume, DAY, 1)
    patches = _patches(case.faults[0], planted)
    if first.rc == 0:
        expected = _patched_truth(truth_dir, root / "truth-planted", patches)
        figures = compare(env.data / "warehouse.duckdb", expected)
        out = Outcome(case.name, case.group, case.injected, figures=figures, fired=fired)
        out.did = f"exit 0; {len(planted)} hostile values planted"
        if not planted:
            out.result = "NOT OK: the fault planted nothing"
        elif figures.equal:
            out.result = "equal"
            out.did += ", every one stored exactly"
        else:
            out.result = f"NOT OK: the load succeeded but {figures.short()}"
            out.lost, out.duplicated = figures.lost, figures.duplicated
        return out

    def recover() -> Run:
        with sandbox(case.volume) as (clean, _f):
            return load(env, clean, args)

    return judge(case, env, first, truth_dir, fired, recover)


Patch = tuple[str, str, Any, dict[str, Any]]  # table, match column, match value, new values


def _patches(fault: str, planted: dict[Any, tuple[str, Any]]) -> list[Patch]:
    """What the sandbox changed, as changes to truth's rows."""
    patches: list[Patch] = []
    for key, (column, value) in planted.items():
        if fault == "csv-newlines":
            path, record_key = key
            table = LEGACY_TABLES[path]
            from warehouse.catalog import TABLES

            patches.append((table, TABLES[table].key[0], record_key, {_snake(column): value}))
        elif column == "id":  # a renamed task: its row and its children's
            patches.append(("search.task_details", "id", key, {"id": value}))
            patches.append(("search.task_variable", "task_id", key, {"task_id": value}))
        else:
            patches.append(("search.task_details", "id", key, {column: value}))
    return patches


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _patched_truth(truth_dir: Path, out: Path, patches: list[Patch]) -> Path:
    """A copy of ``truth_dir`` with ``patches`` applied (values converted to the column's type:
    epoch ms to an instant, a number to its text and the reverse, as a client storing them
    exactly would)."""
    import pyarrow as pa

    out.mkdir(parents=True, exist_ok=True)
    for path in truth_dir.glob("*.parquet"):
        table = pq.read_table(path)
        mine = [p for p in patches if p[0] == path.name.removesuffix(".parquet")]
        if mine:
            rows = table.to_pylist()
            for _t, column, value, changes in mine:
                for row in rows:
                    if row.get(column) == value:
                        for name, new in changes.items():
                            row[name] = _as(table.schema.field(name).type, new)
            table = pa.Table.from_pylist(rows, schema=table.schema)
        pq.write_table(table, out / path.name)
    return out


def _as(kind: Any, value: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_timestamp(kind) and isinstance(value, int):
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    if pa.types.is_string(kind) and not isinstance(value, str):
        return str(value)
    if pa.types.is_integer(kind) and isinstance(value, str):
        return int(value)
    return value


# -- the secrets scan ------------------------------------------------------------------------------


@dataclass
class Leak:
    where: str
    what: str


def secrets_to_find() -> dict[str, bytes]:
    from sandbox.legacy.api import API_KEY, USER_ID, signature

    found = {name: value.encode() for name, value in STATIC_SECRETS.items()}
    found["legacy HMAC signature"] = signature(API_KEY, USER_ID).encode()
    for token in sorted(ISSUED.tokens):
        core = token.split("_", 1)[0]
        found[f"token {core[:6]}…"] = core.encode()
    return found


def scan(roots: list[Path]) -> tuple[list[Leak], int]:
    """Leaks in every file under ``roots`` (state files excepted: they hold the refresh token by
    design, and must be owner-only) and in the captured outputs; and how many files were read."""
    needles = secrets_to_find()
    leaks: list[Leak] = []
    files = 0

    def look(where: str, blob: bytes) -> None:
        for name, needle in needles.items():
            if needle in blob:
                leaks.append(Leak(where, name))
        if WFO_SESSION.search(blob):
            leaks.append(Leak(where, "WFO session id"))

    for n, text in enumerate(OUTPUTS):
        look(f"output #{n}", text.encode())
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            files += 1
            rel = str(path.relative_to(root.parent))
            if "state" in path.relative_to(root).parts and path.name.startswith("token-"):
                mode = stat.S_IMODE(path.stat().st_mode)
                dmode = stat.S_IMODE(path.parent.stat().st_mode)
                if mode & 0o077 or dmode & 0o077:
                    leaks.append(Leak(rel, f"state file mode {mode:o} (dir {dmode:o})"))
                continue
            if path.suffix == ".lock" or path.name.endswith(".yaml"):
                continue
            blob = path.read_bytes()
            look(rel, blob)
            if blob.startswith(b"PAR1"):  # window files: .parquet, and .parquet.v versions
                look(rel + " (values)", _parquet_text(path))
            elif path.suffix == ".duckdb":
                look(rel + " (values)", _duckdb_text(path))
            elif path.suffix in (".db", ".sqlite") or blob.startswith(b"SQLite format 3"):
                look(rel + " (rows)", _sqlite_text(path))
    return leaks, files


def _parquet_text(path: Path) -> bytes:
    try:
        table = pq.read_table(path)
    except Exception:  # noqa: BLE001 - a broken file is scanned as bytes only
        return b""
    return json.dumps(table.to_pylist(), default=str).encode()


def _duckdb_text(path: Path) -> bytes:
    chunks: list[str] = []
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
            ).fetchall()
            for schema, name in tables:
                quoted = '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'
                try:  # a view over window files a later publish retired reads nothing
                    rows = con.execute(f"SELECT * FROM {quoted}").fetchall()
                except duckdb.Error:
                    continue
                chunks.append(json.dumps(rows, default=str))
    except duckdb.Error:
        return b""
    return "".join(chunks).encode()


def _sqlite_text(path: Path) -> bytes:
    chunks: list[str] = []
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                quoted = '"' + name.replace('"', '""') + '"'
                for row in con.execute(f"SELECT * FROM {quoted}"):
                    chunks.append(repr(row))
        finally:
            con.close()
    except sqlite3.Error:
        return b""
    return "".join(chunks).encode()


# -- the matrix ------------------------------------------------------------------------------------


def cases(kills: int) -> list[Case]:
    s, v = SEARCH_VOLUME, VOLUME
    csv = {"WXCC_LEGACY_FORMAT": "csv"}
    c = [
        Case(
            "429-storm",
            "HTTP",
            "search",
            ["429-storm"],
            "every request 429 with `Retry-After: 5` for 90 s",
            s,
            weight=5,
        ),
        Case(
            "429-storm-no-retry-after",
            "HTTP",
            "search",
            ["429-storm-no-retry-after"],
            "every request 429 without `Retry-After` for 90 s",
            s,
            weight=5,
        ),
        Case(
            "5xx-burst",
            "HTTP",
            "search",
            ["5xx-burst"],
            "500, 502, 503, 504 in a row every 25 requests",
            s,
            fast=True,
        ),
        Case(
            "gateway-html",
            "HTTP",
            "search",
            ["gateway-html"],
            "502 HTML page from a gateway every 7th request",
            s,
        ),
        Case(
            "connection-reset",
            "HTTP",
            "search",
            ["connection-reset"],
            "connection closed mid-answer every 7th request",
            s,
            fast=True,
        ),
        Case(
            "stall",
            "HTTP",
            "search",
            ["stall"],
            "5th request answered after 35 s (client read timeout 30 s)",
            s,
            weight=3,
        ),
        Case(
            "slow-drip",
            "HTTP",
            "search",
            ["slow-drip"],
            "every 5th answer in 8 pieces 0.25 s apart",
            s,
        ),
        Case(
            "5xx-burst (reporting)",
            "HTTP",
            "reporting",
            ["5xx-burst"],
            "the same bursts on the reporting REST API",
            v,
        ),
        Case(
            "connection-reset (legacy)",
            "HTTP",
            "legacy",
            ["connection-reset"],
            "the same resets on the legacy API",
            v,
        ),
        Case(
            "token-revoked",
            "auth",
            "search",
            ["token-revoked"],
            "access token revoked at the 5th request (401)",
            s,
            fast=True,
        ),
        Case(
            "refresh-rotated",
            "auth",
            "search",
            ["refresh-rotated"],
            "another process rotates the refresh token mid-run; old ones refused",
            s,
        ),
        Case(
            "refresh-down",
            "auth",
            "search",
            ["refresh-down"],
            "access token revoked, token endpoint 503 for 60 s",
            s,
            weight=5,
        ),
        Case(
            "legacy-clock-skew",
            "auth",
            "legacy",
            ["legacy-clock-skew"],
            "legacy API refuses the HMAC signature as clock-skewed (401)",
            v,
        ),
        Case(
            "graphql-errors",
            "search",
            "search",
            ["graphql-errors"],
            "`errors` with `data: null`, once",
            s,
            fast=True,
        ),
        Case(
            "graphql-partial",
            "search",
            "search",
            ["graphql-partial"],
            "partial data (a `null` record) with `errors`, once",
            s,
        ),
        Case(
            "repeated-cursor",
            "search",
            "search",
            ["repeated-cursor"],
            "`endCursor` repeats the cursor sent",
            s,
            fast=True,
        ),
        Case(
            "short-page",
            "search",
            "search",
            ["short-page"],
            "first page short with `hasNextPage: true`; its rest on the last page",
            s,
        ),
        Case(
            "duplicate-pages",
            "search",
            "search",
            ["duplicate-pages"],
            "a record repeated at the top of the next page",
            s,
            fast=True,
        ),
        Case(
            "late-update",
            "search",
            "search",
            ["late-update"],
            "a record served stale, then updated on the next page",
            s,
        ),
        Case(
            "count-mismatch",
            "search",
            "search",
            ["count-mismatch"],
            "the count says 3 more than the pages hold",
            s,
        ),
        Case(
            "search-cap",
            "search",
            "search",
            ["search-cap"],
            "raw paging stops at the record cap (lowered to 100)",
            s,
        ),
        Case(
            "rest-24h-limit",
            "REST/legacy",
            "reporting",
            [],
            "the reporting API refuses a `from`/`to` of 24 hours or more (400); a day is loaded",
            v,
        ),
        Case(
            "rest-10k-cap",
            "REST/legacy",
            "reporting",
            [],
            "`/v1/agents/activities` stops at 10,000 records of one `from`/`to`; a day at 3,000 "
            "tasks holds more",
            BUSY,
            weight=4,
        ),
        Case(
            "legacy-10k-cap",
            "REST/legacy",
            "legacy",
            [],
            "legacy answers stop silently at 10,000 records; a day at 3,000 tasks holds more CARs",
            BUSY,
            weight=4,
        ),
        Case(
            "csv-truncated",
            "REST/legacy",
            "legacy",
            ["csv-truncated"],
            "a legacy CSV cut mid-row, once",
            v,
            extra_env=csv,
        ),
        Case(
            "csv-quirks",
            "REST/legacy",
            "legacy",
            ["csv-quirks"],
            "legacy CSV with a BOM, every field quoted, quotes doubled",
            v,
            extra_env=csv,
        ),
        Case(
            "csv-bom",
            "REST/legacy",
            "legacy",
            ["csv-bom"],
            "legacy CSV starting with a UTF-8 byte-order mark",
            v,
            extra_env=csv,
        ),
        Case(
            "csv-newlines",
            "REST/legacy",
            "legacy",
            ["csv-newlines"],
            "a legacy CSV value with CRLF and LF line breaks, a comma and quotes inside",
            v,
            extra_env=csv,
            custom=hostile_values,
        ),
        Case(
            "csv-ragged",
            "REST/legacy",
            "legacy",
            ["csv-ragged"],
            "a legacy CSV row with one field too many",
            v,
            extra_env=csv,
        ),
        Case(
            "empty-204",
            "REST/legacy",
            "reporting",
            ["empty-204"],
            "204 with no body instead of an empty list",
            v,
        ),
        Case(
            "empty-204 (legacy)",
            "REST/legacy",
            "legacy",
            ["empty-204"],
            "204 with no body instead of an empty list",
            v,
        ),
        Case(
            "wfo-session-expiry",
            "WFO",
            "wfo",
            ["wfo-session-expiry"],
            "the session expires mid-export (401)",
            v,
        ),
        Case(
            "wfo-export-failed",
            "WFO",
            "wfo",
            ["wfo-export-failed"],
            "an asynchronous export ends `Failed`",
            v,
        ),
        Case(
            "wfo-export-expired",
            "WFO",
            "wfo",
            ["wfo-export-expired"],
            "an asynchronous export `Expired` before it is fetched",
            v,
        ),
        Case(
            "wfo-request-lost",
            "WFO",
            "wfo",
            [],
            "our process killed while its asynchronous export is pending (request id lost)",
            v,
            custom=wfo_restart,
            weight=2,
        ),
        Case(
            "sigkill",
            "machine",
            "search",
            [],
            f"SIGKILL of `wxcc-warehouse load --reload` at {kills} random moments of a 3-day backfill",
            60,
            custom=sigkill_case(kills),
            weight=9,
        ),
        Case(
            "disk-full",
            "machine",
            "search",
            [],
            "the data directory's disk fills up mid-load",
            s,
            custom=disk_full,
        ),
        Case(
            "reader-holds-file",
            "machine",
            "search",
            [],
            "a reader holds `warehouse.duckdb` open during every publish of a 3-day load",
            v,
            custom=reader_holds,
            fast=True,
            weight=3,
        ),
        Case(
            "clock-back",
            "machine",
            "search",
            [],
            "the load's wall clock jumps back an hour 3 s into the run",
            s,
            custom=clock_jump,
        ),
        Case(
            "two-loads",
            "mistake",
            "search",
            [],
            "two `wxcc-warehouse load` of the same day at once",
            s,
            custom=two_loads,
            weight=2,
        ),
        Case(
            "ctrl-c",
            "mistake",
            "search",
            [],
            "Ctrl-C (SIGINT) while a 2-day load lands its windows",
            s,
            custom=stopped_by(signal.SIGINT, group=False),
            weight=2,
        ),
        Case(
            "ctrl-c-terminal",
            "mistake",
            "search",
            [],
            "Ctrl-C at a terminal (SIGINT to every process of the load) while it lands windows",
            s,
            custom=stopped_by(signal.SIGINT, group=True),
            weight=2,
        ),
        Case(
            "sigterm",
            "mistake",
            "search",
            [],
            "a service manager's stop (SIGTERM to every process, as systemd sends it) mid-load",
            s,
            custom=stopped_by(signal.SIGTERM, group=True),
            weight=2,
        ),
        Case(
            "lost-published",
            "mistake",
            "search",
            [],
            "`$WXCC_DATA_DIR/warehouse.duckdb` deleted between two loads",
            v,
            custom=lost_dir("warehouse.duckdb"),
        ),
        Case(
            "lost-store",
            "mistake",
            "search",
            [],
            "`$WXCC_DATA_DIR/store/` (the window store) deleted between two loads",
            v,
            custom=lost_dir("store"),
        ),
        Case(
            "lost-parquet",
            "mistake",
            "search",
            [],
            "`$WXCC_DATA_DIR/parquet/` deleted between two loads",
            v,
            custom=lost_dir("parquet"),
        ),
        Case(
            "api-unreachable",
            "mistake",
            "search",
            [],
            "`WXCC_API_URL` points at a closed port",
            v,
            custom=unreachable,
            weight=3,
        ),
        Case(
            "hostile-org-name",
            "hostile",
            "search",
            [],
            "org `name` with `/`, `..`, quotes, spaces, non-ASCII",
            v,
            custom=hostile_config("org"),
            fast=True,
        ),
        Case(
            "hostile-report-name",
            "hostile",
            "wfo",
            [],
            "WFO report table and column names with `/`, `..`, quotes, non-ASCII",
            v,
            custom=hostile_config("report"),
        ),
        Case(
            "hostile-cad-name",
            "hostile",
            "search",
            [],
            "CAD variable name with `/`, `..`, quotes, spaces, non-ASCII",
            v,
            custom=hostile_config("cad"),
        ),
        Case(
            "hostile-strings",
            "hostile",
            "search",
            ["hostile-strings"],
            "ids and strings with quotes, NUL, emoji, 100 kB",
            s,
            custom=hostile_values,
        ),
        Case(
            "hostile-ids",
            "hostile",
            "search",
            ["hostile-ids"],
            "record ids with `'`, `\"`, a backslash and SQL in them",
            s,
            custom=hostile_values,
        ),
        Case(
            "hostile-times",
            "hostile",
            "search",
            ["hostile-times"],
            "timestamps at the epoch, negative, in the year 3000",
            s,
            custom=hostile_values,
        ),
        Case(
            "hostile-types",
            "hostile",
            "search",
            ["hostile-types"],
            "a number where a string is expected and the reverse",
            s,
            custom=hostile_values,
        ),
    ]
    return c


def run_matrix(selected: list[Case], work: Path, jobs: int) -> list[Outcome]:
    """Every case, ``jobs`` at a time (a load mostly waits on the disk and the sandbox, so
    cases overlap well even on two cores); the longest start first. Rows keep the list's order."""
    done = 0
    lock = threading.Lock()

    def one(case: Case) -> Outcome:
        nonlocal done
        started = time.monotonic()
        root = work / re.sub(r"[^a-z0-9-]+", "-", case.name.lower()).strip("-")
        try:
            outcome = (case.custom or run_sandbox_case)(case, root)
        except Exception as exc:  # noqa: BLE001 - a harness failure is a row too
            logging.exception("case %s", case.name)
            outcome = Outcome(
                case.name, case.group, case.injected, result=f"NOT OK: harness: {exc}"
            )
        outcome.seconds = time.monotonic() - started
        with lock:
            done += 1
            logging.warning(
                "[%d/%d] %s: %s (%.0fs)",
                done,
                len(selected),
                case.name,
                _clip(outcome.result, 200),
                outcome.seconds,
            )
        return outcome

    order = sorted(selected, key=lambda c: -c.weight)
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = {case.name: pool.submit(one, case) for case in order}
        return [futures[case.name].result() for case in selected]


def summary(outcomes: list[Outcome], leaks: list[Leak]) -> str:
    equal = sum(o.result == "equal" for o in outcomes)
    recovered = sum(o.result == "recovered" for o in outcomes)
    lost = sum(o.lost for o in outcomes)
    dupes = sum(o.duplicated for o in outcomes)
    return (
        f"faults: {len(outcomes)} cases, {equal} equal to truth, {recovered} failed loudly then "
        f"recovered, {lost} rows lost, {dupes} rows duplicated, {len(leaks)} secrets leaked"
    )


def markdown(  # noqa: PLR0913
    outcomes: list[Outcome],
    leaks: list[Leak],
    files: int,
    line: str,
    seconds: float,
    command: str = "make faults",
    jobs: int = 2,
) -> str:
    rows = [
        "| case | group | injected | what the pipeline did | rows expected / landed / lost / duplicated / wrong (after the faulted load) | outcome |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        f = o.figures
        fired = f" (fired {o.fired}×)" if o.fired else ""
        figures = f"{f.expected} / {f.landed} / {f.lost} / {f.duplicated} / {f.wrong}"
        if f.tables:
            figures += "<br>" + "; ".join(f"{t}: {d}" for t, d in sorted(f.tables.items())[:2])
        result = {
            "equal": "**equal to truth**",
            "recovered": "**failed loudly, then recovered**",
        }.get(o.result, f"⚠ {_clip(o.result, 200)}")
        rows.append(
            f"| `{o.case}` | {o.group} | {_clip(o.injected, 120)}{fired} | {_clip(o.did, 260)} | {figures} | {result} |"
        )
    leak_text = (
        "none." if not leaks else "\n".join(f"- {lk.what} in `{lk.where}`" for lk in leaks[:40])
    )
    return f"""# Reliability: the fault matrix

Generated by `{command}` (`make faults` runs `.venv/bin/python -m bench.faults --out
docs/reliability.md`; `--only NAME,...` runs some cases); do not edit by hand. Each case
runs `wxcc-warehouse load` (a real process) against the sandbox with one named fault
(`sandbox/README.md` describes each and the real behaviour it imitates), or breaks our own
machine, or feeds the pipeline hostile input; then it compares the published warehouse with
`wxcc-sandbox truth` for the same window (seed {SEED}, now {NOW}Z, day {DAY}).

A case is good when it is **equal to truth**, or when it **failed loudly** (non-zero exit with a
one-line reason, the window `failure` in `ops.extraction_log`, read from the window store
`store/warehouse.sqlite`, or, for a load that failed before any window began, `wxcc-warehouse
status` showing the failure as docs/operating.md promises; no duplicated or wrong row in the
published warehouse) **and then recovered**: a plain re-run after the fault cleared equals truth.
Hostile values are compared with truth carrying exactly the values the sandbox planted.
The figures are those the faulted load left (before any re-run). "Lost" and "duplicated" in the
last line count only rows lost or duplicated by a load that said it succeeded, or still wrong
after the re-run.

Machine: 2 cores shared with other work (load average {os.getloadavg()[0]:.1f} at the end); the
whole matrix took {seconds / 60:.1f} minutes of wall time, {_cpu_s() / 60:.1f} minutes of CPU (this
process, its sandboxes and every load it ran), {jobs} cases at a time (`--jobs {jobs}`).

{chr(10).join(rows)}

## Secrets scan

After the matrix every file the cases left ({files} files: Dagster event log and run storage,
compute logs, the window store `store/warehouse.sqlite` (`ops.extraction_log`, every row of every
table), every table and view of the DuckDB files, every value of every window file (the current
ones and the versions under `_versions/`), `.last-load.json`) and
every stdout/stderr of every load were searched for the client secret, refresh tokens, every
access and refresh token the sandboxes issued, the legacy API key and its HMAC signature, the WFO
password and WFO session ids; token state files were checked to be owner-only (0600 in a 0700
directory). Leaks: {leak_text}

{line}
"""


def _cpu_s() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--fast", action="store_true", help="only the cases make test runs")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs of the backfill case")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a case is not good or a secret leaked"
    )
    parser.add_argument("--out", type=Path, help="write the matrix here (docs/reliability.md)")
    parser.add_argument(
        "--work", type=Path, help="keep the cases' files here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    logging.getLogger("sandbox").setLevel(logging.CRITICAL)
    ISSUED.install()
    selected = cases(args.kills)
    if args.only:
        names = set(args.only.split(","))
        selected = [c for c in selected if c.name in names]
    if args.fast:
        selected = [c for c in selected if c.fast]
    started = time.monotonic()
    work = args.work or Path(tempfile.mkdtemp(prefix="wxcc-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    template_home(work)
    outcomes = run_matrix(selected, work, args.jobs)
    leaks, files = scan([p for p in work.iterdir() if p.is_dir()])
    line = summary(outcomes, leaks)
    if args.out:
        command = " ".join([".venv/bin/python -m bench.faults", *(argv or sys.argv[1:])])
        text = markdown(
            outcomes, leaks, files, line, time.monotonic() - started, command, args.jobs
        )
        args.out.write_text(text, encoding="utf-8")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    sys.stdout.write(line + "\n")
    good = all(o.good for o in outcomes) and not leaks
    # The matrix is the result, printed last; --strict makes a bad row fail the command too.
    return 1 if args.strict and not good else 0


if __name__ == "__main__":
    sys.exit(main())
