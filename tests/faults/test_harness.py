"""The fault matrix's own machinery: the truth comparison's figures, the secrets scan (which
reads values, not only bytes), the last line's wording, and one case run end to end."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench import faults as harness
from warehouse import duck
from warehouse.catalog import TABLES

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


@pytest.mark.parametrize("case", ["duplicate-pages"])
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
