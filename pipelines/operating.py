"""What keeps a data directory whole when users and machines misbehave (docs/operating.md).

- One load per data directory at a time: ``load_lock`` holds an ``flock`` on
  ``$WXCC_DATA_DIR/.load.lock`` for the whole load; a second load exits at once naming the first
  (its pid and start time are written in the lock file). The kernel drops the lock when the
  process dies, however it dies, so a killed load never leaves a stale lock behind.
- The Dagster instance is created and migrated under a lock of its own
  (``$DAGSTER_HOME/.wxcc-instance.lock``): two processes creating its SQLite storages at once
  left two alembic heads, and every later command failed. An instance that does not open is
  reported with how to recover (move it aside: it holds run history only, never data).
- Derived state is checked before it is trusted (:func:`repair_derived_state`): the private build
  file is restored from the published copy when it is lost, and windows whose Parquet files are
  gone are loaded again rather than counted complete.

Nothing here imports dagster at module level: the CLI's error paths must work without it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.sources.errors import ConfigError, WxccError

log = logging.getLogger(__name__)

LOAD_LOCK = ".load.lock"
INSTANCE_LOCK = ".wxcc-instance.lock"
DAGSTER_YAML = """\
# Local instance: runs and event logs in SQLite under $DAGSTER_HOME (see the repo's dagster.yaml).
telemetry:
  enabled: false
"""


class LoadBusy(WxccError):
    """Another load holds the data directory."""


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


def describe_os_error(exc: OSError) -> str:
    """One sentence for a failure of the machine (disk, permissions, paths)."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"the disk is full{where}: free some space and run again (a re-run resumes)"
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


@contextlib.contextmanager
def load_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data directory for one load; refuse at once if another load holds it."""
    path = data_dir / LOAD_LOCK
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
                "wait for it to finish (or stop it), then run again"
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
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text(DAGSTER_YAML)
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
        raise DamagedInstance(
            f"the Dagster instance at {home} (DAGSTER_HOME) is damaged ({type(exc).__name__}: "
            f"{reason[:200]}): move it aside (mv {home} {home}.damaged) and run again; it holds "
            "run history only: the warehouse, its Parquet files and the extraction log are kept"
        ) from None


def repair_derived_state(data_dir: Path) -> list[str]:
    """Put back derived files that can be derived again; sentences saying what was done.

    The loads' private file (``build/warehouse.duckdb``) is the writer's copy of the published
    ``warehouse.duckdb``: if it is lost but the published copy is there, the published copy is
    taken as the new private file (it holds every table and the extraction log). A damaged
    private file is reported with the same recovery.
    """
    import duckdb

    from warehouse.land import WarehousePaths

    paths = WarehousePaths(data_dir)
    build, published = paths.duckdb_path, paths.published_path
    said: list[str] = []
    if build.exists():
        try:
            with duckdb.connect(str(build), read_only=True):
                pass
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise LoadBusy(
                    f"{build} is held by another process (a Dagster run or the UI?): wait for "
                    "it to finish, then run again"
                ) from None
            raise _damaged_build(build, published, exc) from None
        except duckdb.Error as exc:
            raise _damaged_build(build, published, exc) from None
        return said
    if published.exists():
        build.parent.mkdir(parents=True, exist_ok=True)
        tmp = build.with_name(build.name + ".restoring")
        shutil.copyfile(published, tmp)
        os.replace(tmp, build)
        said.append(
            f"{build} was missing: restored it from the published {published.name} "
            "(every table and the extraction log)"
        )
    return said


def _damaged_build(build: Path, published: Path, exc: Exception) -> ConfigError:
    first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    recover = (
        f"move it aside (mv {build} {build}.damaged) and run again: the next load restores it "
        f"from {published.name}"
        if published.exists()
        else f"move it aside (mv {build} {build}.damaged) and load the range again with --reload"
    )
    return ConfigError(f"the loads' private file {build} is damaged ({first}): {recover}")
