"""The fault matrix's own machinery: the truth comparison's figures, the secrets scan (which
reads values, not only bytes), the last line's wording, and one case run end to end."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench import faults as harness
from warehouse import duck, ops
from warehouse.catalog import TABLES
from warehouse.paths import WarehousePaths

TABLE = TABLES["search.task_leg_details"]


def _truth(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    out = tmp_path / "truth"
    out.mkdir()
    schema = TABLE.arrow
    pq.write_table(
        pa.Table.from_pylist(rows, schema=schema), out / "search.task_leg_details.parquet"
    )
    return out


def _row(schema: pa.Schema, key: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {f.name: None for f in schema}
    row.update(org_id="org", id=key, **values)
    return row


def test_compare_counts_lost_duplicated_and_wrong_rows(tmp_path: Path) -> None:
    schema = TABLE.arrow
    want = [_row(schema, k) for k in ("a", "b", "c", "d")]
    truth_dir = _truth(tmp_path, want)
    db = tmp_path / "warehouse.duckdb"
    landed = [want[0], want[0], {**want[1], "origin": "changed"}, _row(schema, "x")]  # no c, d
    with duck.connect(db) as con:
        con.register("landed", pa.Table.from_pylist(landed, schema=schema))
        con.execute("CREATE SCHEMA search")
        con.execute("CREATE TABLE search.task_leg_details AS SELECT * FROM landed")
    figures = harness.compare(db, truth_dir)
    assert (figures.expected, figures.landed) == (4, 4)
    assert (figures.lost, figures.duplicated, figures.wrong) == (2, 1, 2)  # x is unexpected
    assert not figures.equal
    assert harness.compare(tmp_path / "missing.duckdb", truth_dir).lost == 4


def _attempt(asset: str, day: int, status: str, n: int) -> ops.Attempt:
    start = datetime(2026, 11, day, tzinfo=UTC)
    stamp = datetime(2026, 11, 20, 12, n, tzinfo=UTC)
    return ops.Attempt(
        asset=asset,
        org_id="org-1",
        org="default",
        window_start=start,
        window_end=start + timedelta(days=1),
        run_id=f"run-{n}",
        started=stamp,
        finished=stamp,
        status=status,
    )


def test_failed_windows_are_read_from_the_window_store(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path)
    assert harness.failures_logged(tmp_path, "search") == 0  # no store yet
    for n, (asset, day, status) in enumerate(
        [
            ("search.task_details", 16, "failure"),
            ("search.task_details", 16, "success"),  # its latest attempt: not failed
            ("search.task_details", 17, "failure"),
            ("search.task", 17, "failure"),
            ("legacy.csr", 17, "failure"),
        ]
    ):
        ops.record(paths, _attempt(asset, day, status, n))
    assert harness.failures_logged(tmp_path, "search") == 2
    assert harness.attempts_logged(tmp_path, "search") == 4
    assert harness.failures_logged(tmp_path, "legacy") == 1


def test_truth_gets_exactly_the_planted_values_and_ids(tmp_path: Path) -> None:
    details, variables = TABLES["search.task_details"], TABLES["search.task_variable"]
    truth_dir = tmp_path / "truth"
    truth_dir.mkdir()
    row = _row(details.arrow, "t1")
    pq.write_table(
        pa.Table.from_pylist([row, _row(details.arrow, "t2")], schema=details.arrow),
        truth_dir / "search.task_details.parquet",
    )
    child = {f.name: None for f in variables.arrow} | {"org_id": "org", "task_id": "t1"}
    pq.write_table(
        pa.Table.from_pylist([child], schema=variables.arrow),
        truth_dir / "search.task_variable.parquet",
    )
    renamed = harness._patches("hostile-ids", {"t1": ("id", "t1-'\"")})
    out = harness._patched_truth(truth_dir, tmp_path / "ids", renamed)
    assert pq.read_table(out / "search.task_details.parquet")["id"].to_pylist() == [
        "t1-'\"",
        "t2",
    ]
    assert pq.read_table(out / "search.task_variable.parquet")["task_id"].to_pylist() == ["t1-'\""]
    timed = harness._patches("hostile-times", {"t2": ("ended_time", -1000)})
    out = harness._patched_truth(truth_dir, tmp_path / "times", timed)
    ended = pq.read_table(out / "search.task_details.parquet")["ended_time"].to_pylist()
    assert ended[1] == datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_the_scan_finds_secrets_in_compressed_values_and_open_state_files(
    tmp_path: Path,
) -> None:
    harness.ISSUED.tokens.add("ABCDEFGHSECRETCORE_P0A1_org")
    case = tmp_path / "case"
    (case / "data" / "state" / "default").mkdir(parents=True)
    # zstd-compressed and dictionary-encoded: the token's bytes are not in the file as such.
    table = pa.table({"note": ["x" * 50 + "ABCDEFGHSECRETCORE" + "y" * 50] * 100})
    pq.write_table(table, case / "data" / "t.parquet", compression="zstd")
    with duckdb.connect(str(case / "data" / "w.duckdb")) as con:
        con.execute("CREATE TABLE t AS SELECT 'uses sandbox-api-key here' AS v")
    state = case / "data" / "state" / "default" / "token-abc.json"
    state.write_text('{"refresh_token": "sandbox-refresh"}')  # holds it by design
    os.chmod(state, 0o644)
    (case / "clean.txt").write_text("nothing here")
    leaks, files = harness.scan([case])
    found = {(leak.where.split(" ")[0].removeprefix("case/"), leak.what) for leak in leaks}
    assert files == 4
    assert any(w == "data/t.parquet" and what.startswith("token") for w, what in found)
    assert ("data/w.duckdb", "legacy API key") in found
    assert any(w.endswith("token-abc.json") and "mode 644" in what for w, what in found)
    assert not any("clean.txt" in w for w, _ in found)
    harness.ISSUED.tokens.discard("ABCDEFGHSECRETCORE_P0A1_org")


def test_the_last_line_has_the_promised_wording() -> None:
    outcomes = [
        harness.Outcome("a", "g", "i", result="equal"),
        harness.Outcome("b", "g", "i", result="recovered"),
        harness.Outcome("c", "g", "i", result="NOT OK: x", lost=3, duplicated=2),
    ]
    assert harness.summary(outcomes, [harness.Leak("f", "token")]) == (
        "faults: 3 cases, 1 equal to truth, 1 failed loudly then recovered, 3 rows lost, "
        "2 rows duplicated, 1 secrets leaked"
    )


@pytest.mark.parametrize("case", ["csv-bom"])  # a legacy day: the cheapest whole case
def test_one_case_runs_end_to_end(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reliability.md"
    assert harness.main(["--only", case, "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == (
        "faults: 1 cases, 1 equal to truth, 0 failed loudly then recovered, 0 rows lost, "
        "0 rows duplicated, 0 secrets leaked"
    )
    text = out.read_text()
    assert f"| `{case}` |" in text and "**equal to truth**" in text


def test_the_scan_decodes_versioned_window_files_and_the_store(tmp_path: Path) -> None:
    harness.ISSUED.tokens.add("VERSIONEDSECRETCORE_P0A1_org")
    versions = tmp_path / "case" / "data" / "parquet" / "search" / "_versions"
    versions.mkdir(parents=True)
    table = pa.table({"note": ["x" * 50 + "VERSIONEDSECRETCORE" + "y" * 50] * 100})
    pq.write_table(table, versions / "w-1.parquet.v", compression="zstd")
    paths = WarehousePaths(tmp_path / "case" / "data")
    attempt = _attempt("search.task", 16, "failure", 0)
    ops.record(paths, replace(attempt, error="AuthError: sandbox-secret was refused"))
    try:
        leaks, _files = harness.scan([tmp_path / "case"])
    finally:
        harness.ISSUED.tokens.discard("VERSIONEDSECRETCORE_P0A1_org")
    found = {(leak.where, leak.what) for leak in leaks}
    assert any("w-1.parquet.v (values)" in w and what.startswith("token") for w, what in found)
    assert any("warehouse.sqlite" in w and what == "client secret" for w, what in found)
