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

# The CLI with Ctrl-C at its default, as a shell starts a terminal's job, whatever this test
# process inherited or was left with (an ignored or blocked SIGINT passes to children).
AS_A_TERMINAL_JOB = (
    "import os, signal, sys; "
    "signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.pthread_sigmask(signal.SIG_SETMASK, []); "
    "os.execv(sys.executable, [sys.executable, '-m', 'pipelines.cli', *sys.argv[1:]])"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session(sid: int) -> list[str]:
    """Command lines of the processes still in session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError, IndexError):
            continue
    return found


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
def test_the_ui_starts_on_a_new_instance_and_a_terminal_ctrl_c_stops_every_process_of_it(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    home = tmp_path / "new-home"  # not there yet: `dagster dev` alone meets it with a traceback
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_A_TERMINAL_JOB, "ui", "--port", str(port), "--last-days", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal's job: Ctrl-C reaches the whole group
    )
    try:
        assert _up(f"http://127.0.0.1:{port}/server_info", proc, 180), proc.communicate()
        assert "module: pipelines.compute_logs" in (home / "dagster.yaml").read_text()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    assert f"Dagster UI on http://127.0.0.1:{port}" in out
    deadline = time.monotonic() + 10
    while _session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _session(proc.pid) == []  # no webserver, daemon or code server left behind
