"""`wxcc-warehouse ui` (`make ui`): the Dagster UI on a new instance, and Ctrl-C stops all of it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import Pipeline

# The CLI with Ctrl-C and SIGTERM at their defaults, as a shell starts a terminal's job,
# whatever this test process inherited or was left with (an ignored or blocked signal passes to
# children; an in-process Dagster run points SIGTERM at SIGINT's handler, ignored or not).
AS_A_TERMINAL_JOB = (
    "import os, signal, sys; "
    "signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.signal(signal.SIGTERM, signal.SIG_DFL); "
    "signal.pthread_sigmask(signal.SIG_SETMASK, []); "
    "os.execv(sys.executable, [sys.executable, '-m', 'pipelines.cli', *sys.argv[1:]])"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    """Process ids below ``pid`` (children, theirs, ...), whatever their session."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, ValueError, IndexError):
                continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _up(url: str, proc: subprocess.Popen[str], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - localhost
                return answer.status == 200
        except OSError:
            time.sleep(0.5)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c-at-a-terminal", "sigterm-to-the-command"],
)
def test_the_ui_starts_on_a_new_instance_and_a_stop_ends_every_process_of_it(
    pipeline: Pipeline, tmp_path: Path, signum: signal.Signals, group: bool
) -> None:
    """A terminal's Ctrl-C reaches the command's whole process group; `kill` reaches the
    command alone, which used to leave `dagster dev`, its webserver, daemon and code server and
    the sandbox running, serving the port."""
    home = tmp_path / "new-home"  # not there yet: `dagster dev` alone meets it with a traceback
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_A_TERMINAL_JOB, "ui", "--port", str(port), "--last-days", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal's job: its own process group
    )
    below: set[int] = set()
    try:
        assert _up(f"http://127.0.0.1:{port}/server_info", proc, 180), proc.communicate()
        assert "module: pipelines.compute_logs" in (home / "dagster.yaml").read_text()
        below = _descendants(proc.pid)
        assert len(below) >= 4, below  # the sandbox, dagster dev, its webserver and daemon
        (os.killpg if group else os.kill)(proc.pid, signum)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    # Dagster's own notices (`dg dev` supersedes `dagster dev`; the beta backfill policies of
    # our assets, in the code server) are not the user's to act on.
    assert "SupersessionWarning" not in err and "BetaWarning" not in err, err
    assert f"Dagster UI on http://127.0.0.1:{port}" in out
    deadline = time.monotonic() + 10
    while _alive(below) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(below)  # no webserver, daemon, code server or sandbox left behind
