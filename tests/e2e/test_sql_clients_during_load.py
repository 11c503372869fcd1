"""The DuckDB CLI and Harlequin (the terminal SQL IDE, ``harlequin -r``) open the published
warehouse read-only while a load runs, and query the analyst views."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support import Pipeline, point_at, sandbox

DAYS = ("2026-11-16", "2026-11-17")
QUERY = "SELECT count(*) FROM analytics.queue_day_local"
# What `harlequin -r FILE` does to connect: its DuckDB adapter, read-only, then a query.
HARLEQUIN = """
import sys
from harlequin_duckdb.adapter import DuckDbAdapter
conn = DuckDbAdapter(conn_str=(sys.argv[1],), read_only=True).connect()
cursor = conn.execute(sys.argv[2])
print(cursor.fetchall())
"""


@pytest.fixture(scope="session")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A separate environment with the DuckDB CLI (PyPI duckdb-cli) and Harlequin."""
    venv = tmp_path_factory.mktemp("sql-clients")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "duckdb-cli",
         "harlequin"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return venv / "bin"


@pytest.mark.timeout(1200)  # installing Harlequin takes minutes on a shared machine
def test_cli_and_harlequin_read_the_published_file_during_a_load(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, clients: Path
) -> None:
    published = pipeline.data_dir / "warehouse.duckdb"
    outcomes: list[tuple[str, int, str]] = []
    with sandbox("2026-11-20T15:30:00") as url:
        point_at(monkeypatch, url)
        results: list = []
        loader = threading.Thread(target=lambda: results.extend(pipeline.load(*DAYS)))
        loader.start()
        while loader.is_alive():
            if not published.exists():
                continue
            cli = subprocess.run(
                [str(clients / "duckdb"), "-readonly", str(published), "-c", QUERY],
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,  # the CLI reads statements from a terminal's stdin
                timeout=60,
            )
            outcomes.append(("cli", cli.returncode, cli.stderr))
            ide = subprocess.run(
                [str(clients / "python"), "-c", HARLEQUIN, str(published), QUERY],
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=120,
            )
            outcomes.append(("harlequin", ide.returncode, ide.stderr[-500:]))
        loader.join()
    assert all(r.success for r in results)
    assert [o for o in outcomes if o[1] != 0] == []
    assert {"cli", "harlequin"} <= {o[0] for o in outcomes}, "no read happened during the load"
    final = subprocess.run(
        [str(clients / "duckdb"), "-readonly", "-csv", str(published), "-c", QUERY],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert int(final.stdout.splitlines()[-1]) > 0
