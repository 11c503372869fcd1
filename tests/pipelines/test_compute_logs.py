"""The instance's compute logs: copied where Dagster copies them, by processes a terminal's
Ctrl-C does not reach (a Ctrl-C reaches the whole foreground group: each printed a traceback)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from pipelines import compute_logs
from pipelines.operating import DAGSTER_YAML, prepare_instance

BEFORE = """\
# Local instance: runs and event logs in SQLite under $DAGSTER_HOME (see the repo's dagster.yaml).
telemetry:
  enabled: false
"""


def _children() -> list[int]:
    """Process ids whose parent is this process."""
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == me:
                found.append(int(entry.name))
    return found


def _blocks_sigint(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigBlk:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    raise AssertionError(f"no SigBlk for {pid}")


def test_a_new_instance_copies_compute_logs_under_its_storage_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    prepare_instance(home)
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML
    with dg.DagsterInstance.from_config(str(home)) as instance:
        manager = instance.compute_log_manager
        assert isinstance(manager, compute_logs.LocalComputeLogs)
        assert manager._base_dir == str(home / "storage")  # noqa: SLF001 - Dagster's default


def test_the_instance_file_an_earlier_version_wrote_is_brought_up_to_date(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(BEFORE)
    prepare_instance(home)
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML

    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / "dagster.yaml").write_text(BEFORE + "# mine\n")
    prepare_instance(edited)
    assert (edited / "dagster.yaml").read_text() == BEFORE + "# mine\n"  # the user's: kept


@pytest.fixture
def stop_signals_default() -> Iterator[None]:
    """SIGINT and SIGTERM as in a fresh process. A test process started as a background job has
    SIGINT ignored, and an in-process Dagster run earlier points SIGTERM at SIGINT's handler:
    ignored too then, and children inherit that (Dagster's `tail` would not end on SIGTERM)."""
    before = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    }
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_copying_processes_start_deaf_to_ctrl_c_and_this_one_hears_it_again(
    tmp_path: Path, stop_signals_default: None
) -> None:
    prepare_instance(tmp_path)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        manager = instance.compute_log_manager
        before = set(_children())
        with manager.capture_logs(["run", "compute_logs", "key"]):
            started = [p for p in _children() if p not in before]
            assert len(started) == 4  # tail and a watcher for each of stdout and stderr
            assert all(_blocks_sigint(p) for p in started)
            assert not _blocks_sigint(os.getpid())
            print("said in the run")
        assert manager.is_capture_complete(["run", "compute_logs", "key"])
    out = tmp_path / "storage" / "run" / "compute_logs" / "key.out"
    assert "said in the run" in out.read_text()
