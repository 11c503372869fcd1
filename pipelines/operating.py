"""What keeps a data directory whole when users and machines misbehave (docs/operating.md).

- One load per org of a data directory at a time: ``load_lock`` holds an ``flock`` on
  ``$WXCC_DATA_DIR/.load.<org>.lock`` for the whole load; a second load exits naming the first
  (its pid and start time are written in the lock file). The kernel drops the lock when the
  process dies, however it dies, so a killed load never leaves a stale lock behind.
- The Dagster instance is created and migrated under a lock of its own
  (``$DAGSTER_HOME/.wxcc-instance.lock``): two processes creating its SQLite storages at once
  left two alembic heads, and every later command failed. An instance that does not open is
  reported with how to recover (move it aside: it holds run history only, never data).
- Derived state is checked before it is trusted (:func:`repair_derived_state`): the published
  ``warehouse.duckdb`` is written again from the window store when it is lost or damaged, and
  windows whose current Parquet files are gone are loaded again rather than counted complete.

Nothing here imports dagster at module level: the CLI's error paths must work without it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.sources.errors import ConfigError, WxccError

if TYPE_CHECKING:
    from warehouse.objects import ObjectStore

log = logging.getLogger(__name__)

LOAD_LOCK = ".load.{org}.lock"  # one per org: loads of different orgs run at once
INSTANCE_LOCK = ".wxcc-instance.lock"
# The instance file earlier versions wrote: replaced by DAGSTER_YAML where left as written.
_DAGSTER_YAML_BEFORE = """\
# Local instance: runs and event logs in SQLite under $DAGSTER_HOME (see the repo's dagster.yaml).
telemetry:
  enabled: false
"""
DAGSTER_YAML = (
    _DAGSTER_YAML_BEFORE
    + """\
# Runs' stdout and stderr copied under $DAGSTER_HOME/storage, as by default, by processes that
# leave a terminal's Ctrl-C to the load (pipelines/compute_logs.py).
compute_logs:
  module: pipelines.compute_logs
  class: LocalComputeLogs
"""
)


class LoadBusy(WxccError):
    """Another load holds the data directory."""


class PortInUse(WxccError):
    """The UI's port is taken (another UI, most likely)."""


def check_port_free(port: int, host: str = "127.0.0.1") -> None:
    """Say now that ``port`` cannot be served: `dagster dev` whose webserver cannot bind logs
    one error line and goes on running its daemon, while the URL it announced shows whatever
    holds the port (another data directory's UI, as often as not)."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {port}: give a port from 1 to 65535")
    with socket.socket() as probe:
        # As the webserver binds (uvicorn sets it): a port left in TIME_WAIT is free to it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"port {port} on {host} is in use ({exc.strerror or exc}): another "
                "`wxcc-warehouse ui` (`make ui`) or another server holds it; stop it, or give "
                "--port with a free port"
            ) from None


class DamagedInstance(WxccError):
    """The Dagster instance at $DAGSTER_HOME does not open."""


def ensure_directory(path: Path, what: str) -> Path:
    """Create ``path`` (a directory named by the setting ``what``) or say why it cannot be."""
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"{what} is {path}, which is a file, not a directory: point {what} at a directory "
            "(or move the file away)"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be created: {describe_os_error(exc)}") from None
    probe = path / f".wxcc-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"{what} {path} is not writable: {describe_os_error(exc)}; point {what} at a "
            "writable directory or fix its permissions"
        ) from None
    return path


# How a full disk (or a file that may not grow: a quota, a file-size limit) reads in the
# messages of the OS, SQLite (Dagster's storage, the window store) and DuckDB. SQLite reports a
# write that fails for lack of room as "disk is full" and a file that may not grow as an I/O error.
_DISK_SIGNS = (
    "No space left on device",
    "[Errno 28]",
    "File too large",
    "[Errno 27]",
    "Disk quota exceeded",
    "database or disk is full",
    "disk I/O error",
)
DISK_ADVICE = (
    "the disk is full or a file may not grow (a quota or file-size limit): free some space and "
    "run again; a re-run resumes"
)


def disk_trouble(text: str) -> bool:
    """Whether an error's text says a write failed for lack of room."""
    return any(sign in text for sign in _DISK_SIGNS)


def describe_os_error(exc: OSError) -> str:
    """One sentence for a failure of the machine (disk, permissions, paths)."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"the disk is full{where}: free some space and run again (a re-run resumes)"
    if exc.errno == errno.EFBIG:
        return f"a file may not grow{where}: {DISK_ADVICE}"
    if exc.errno == errno.EDQUOT:
        return f"the disk quota is used up{where}: free some space and run again"
    if exc.errno == errno.EROFS:
        return f"the file system is read-only{where}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied{where}"
    if exc.errno == errno.ENOTDIR:
        return f"a file stands where a directory is needed{where}"
    if exc.errno == errno.EISDIR:
        return f"a directory stands where a file is needed{where}"
    return f"{exc.strerror or exc}{where}"


def load_lock_path(data_dir: Path, org: str) -> Path:
    return data_dir / LOAD_LOCK.format(org=org)


@contextlib.contextmanager
def load_lock(data_dir: Path, orgs: list[str]) -> Iterator[None]:
    """Hold the data directory's ``orgs`` for one load; refuse at once if another load holds
    any of them. Loads of different orgs run at once (the window store takes concurrent
    writers); two loads of one org would fetch the same windows twice."""
    with contextlib.ExitStack() as held:
        for org in sorted(set(orgs)):
            held.enter_context(_org_lock(data_dir, org))
        yield


@contextlib.contextmanager
def _org_lock(data_dir: Path, org: str) -> Iterator[None]:
    path = load_lock_path(data_dir, org)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            pid = holder[0] if holder else "?"
            started = holder[1] if len(holder) > 1 else "?"
            raise LoadBusy(
                f"another load (pid {pid}, started {started}) is using {data_dir.absolute()}: "
                f"it loads org {org}; wait for it to finish (or stop it), then run again"
            ) from None
        stamp = f"{os.getpid()} {datetime.now(UTC).isoformat(timespec='seconds')}\n".encode()
        os.pwrite(fd, stamp, 0)  # overwritten in place, then cut: never seen empty
        os.ftruncate(fd, len(stamp))
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> list[str]:
    """``[pid, started]`` from the lock file; a holder that has just taken the lock may not have
    written them yet, so wait for them a moment."""
    for _ in range(20):
        text = os.pread(fd, 200, 0).decode("utf-8", "replace")
        if text.endswith("\n"):
            return text.split()
        time.sleep(0.05)
    return text.split()


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def prepare_instance(home: Path) -> None:
    """Create (or migrate) the instance at ``home`` once, under a lock, and check it opens.

    Dagster creates its SQLite storages and stamps their schema on first use; two processes doing
    that at once can leave the run storage with two alembic heads. Opening it here, one process at
    a time, means later opens find the schema in place.
    """
    ensure_directory(home, "DAGSTER_HOME")
    with _flock(home / INSTANCE_LOCK):
        settings = home / "dagster.yaml"
        if not settings.exists() or settings.read_text() == _DAGSTER_YAML_BEFORE:
            settings.write_text(DAGSTER_YAML)
        try:
            instance = open_instance(home)
        except DamagedInstance:
            raise
        instance.dispose()


def open_instance(home: Path) -> Any:  # noqa: ANN401 (dagster.DagsterInstance, imported late)
    """The instance at ``home``, or :class:`DamagedInstance` saying how to recover."""
    import dagster as dg

    try:
        instance = dg.DagsterInstance.from_config(str(home))
        instance.get_run_records(limit=1)  # touches the run storage: its schema must be whole
        return instance
    except OSError as exc:
        raise ConfigError(
            f"the Dagster instance at {home} cannot be opened: {describe_os_error(exc)}"
        ) from None
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if disk_trouble(str(exc)):  # not damaged: it could not be written
            raise WxccError(
                f"the Dagster instance at {home} (DAGSTER_HOME) cannot be written "
                f"({reason[:200]}): {DISK_ADVICE}"
            ) from None
        raise DamagedInstance(
            f"the Dagster instance at {home} (DAGSTER_HOME) is damaged ({type(exc).__name__}: "
            f"{reason[:200]}): move it aside (mv {home} {home}.damaged) and run again; it holds "
            "run history only: the warehouse, its Parquet files and the extraction log are kept"
        ) from None


def repair_derived_state(data_dir: Path, storage: ObjectStore | None = None) -> list[str]:
    """Put back derived files that can be derived again; sentences saying what was done.

    The published ``warehouse.duckdb`` is derived from the window store (``store/``): if it is
    lost or does not open, it is written again from the store. Window files the store names
    current but that are gone from ``parquet/`` are reported here and loaded again by the load
    (``pipelines.runner.plan`` counts their windows incomplete), never published as a smaller
    warehouse.
    """
    import duckdb

    from warehouse import ops
    from warehouse.land import WarehousePaths
    from warehouse.publish import publish

    paths = WarehousePaths(data_dir, storage)
    published = paths.published_path
    said: list[str] = []
    if not paths.store_path.exists():
        loaded = published.exists() or any(paths.parquet_root.rglob("*.parquet"))
        if loaded:
            # Publishing from an empty store would replace the warehouse with only the days
            # this load lands: a smaller warehouse, silently.
            raise ConfigError(
                f"the window store {paths.store_path} is missing while {published.name} or "
                f"{paths.parquet_root.name}/ hold loaded data: restore {paths.store_path.parent} "
                f"from a backup, or move {published.name} and {paths.parquet_root.name}/ aside "
                "and load every day again"
            )
        return said  # nothing loaded yet
    if published.exists():
        try:
            with duckdb.connect(str(published), read_only=True):
                pass
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else "?"
            aside = published.with_name(published.name + ".damaged")
            os.replace(published, aside)
            said.append(
                f"{published} did not open ({first}): moved it to {aside.name} and wrote it "
                "again from the window store"
            )
    else:
        said.append(f"{published} was missing: wrote it again from the window store")
    run_id = f"repair-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    lost = ops.forget_lost_windows(paths, run_id)
    if lost:
        days = sorted({a.window_start.date().isoformat() for a in lost})
        shown = ", ".join(days[:10]) + (f" and {len(days) - 10} more" if len(days) > 10 else "")
        said.append(
            f"{len(lost)} window(s) lost their Parquet files from {paths.parquet_root} "
            f"(days {shown}): logged failed, loaded again when their days are loaded"
        )
    # Also when the store holds commits the published file lacks (a load that failed while
    # publishing: a full disk): the next load may land nothing new, and must still show them.
    # publish() writes nothing when the published file is current.
    publish(paths)
    return said
