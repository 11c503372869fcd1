"""The wfo_reports: configuration: parsing, its errors, and a configured report against truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences
from tests.support import SEED, TASKS_PER_DAY, ms
from tests.wfo.support import DAY1, NOW, SharedClock, client, sandbox, tenant
from warehouse.land import WarehousePaths, land_windows
from warehouse.schemas import UTC_MS
from warehouse.schemas_wfo import (
    DEFAULT_REPORTS,
    TABLES,
    report_from_config,
    reports_from_config,
)

EVALS: dict[str, Any] = {
    "table": "qm_scores",
    "report_id": 102,
    "qname": "RP1_102_0_evaluationscores",
    "date_parameter": "pDate",
    "time_column": "evaluated",
    "key": ["evaluation_id"],
    "columns": [
        {"name": "evaluation_id", "header": "Evaluation ID"},
        {"name": "evaluated", "header": "Evaluated", "type": "instant"},
        {"name": "score", "header": "Score", "type": "Float"},
        {"name": "form", "header": "Form"},
    ],
    "headers": {
        "de": {
            "Bewertungs-ID": "evaluation_id",
            "Bewertet": "evaluated",
            "Punktzahl": "score",
            "Formular": "form",
        }
    },
}


def test_without_a_config_the_default_reports_are_exported() -> None:
    assert reports_from_config({}) == DEFAULT_REPORTS
    assert reports_from_config(None) == DEFAULT_REPORTS
    names = {t.qualified_name for t in TABLES}
    assert {"wfo.persons", "wfo.groups", "wfo.teams"} <= names
    assert {r.table.qualified_name for r in DEFAULT_REPORTS} <= names


def test_a_configured_report_is_a_typed_table() -> None:
    (report,) = reports_from_config({"wfo_reports": [EVALS]})
    assert report.table.qualified_name == "wfo.qm_scores"
    assert report.table.arrow.names == ["org_id", "evaluation_id", "evaluated", "score", "form"]
    assert report.table.arrow.field("evaluated").type == UTC_MS
    assert report.header_map("de_DE")["Bewertet"] == "evaluated"
    assert report.header_map("de")["Score"] == "score"  # English labels always known


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_column": "form"}, "must be of type instant"),
        ({"key": ["nope"]}, "no column 'nope'"),
        ({"columns": [{"name": "x", "header": "X", "type": "Money"}]}, "type must be one of"),
        ({"qname": None}, None),
        ({"headers": {"de": {"Foo": "bar"}}}, "unknown columns"),
    ],
)
def test_config_errors_name_the_report(change: dict[str, Any], message: str | None) -> None:
    spec = {**EVALS, **change}
    if change.get("qname", "") is None:
        del spec["qname"]
        message = "missing 'qname'"
    with pytest.raises(ValueError, match=rf"'qm_scores'.*{message}"):
        report_from_config(spec)


def test_table_names_may_not_repeat_or_take_a_snapshot_name() -> None:
    with pytest.raises(ValueError, match="used twice or reserved"):
        reports_from_config({"wfo_reports": [EVALS, EVALS]})
    with pytest.raises(ValueError, match=r"\['teams'\]"):
        reports_from_config({"wfo_reports": [{**EVALS, "table": "teams"}]})


def test_a_configured_report_equals_the_truth_for_that_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"wfo_reports": [EVALS]}
    (report,) = reports_from_config(config)
    # A table outside the catalog: its SQL is rendered at run time like every table's, and
    # publishing reads its columns from its window files.
    out = tmp_path / "truth"
    write_truth(
        out,
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        from_ms=DAY1[0],
        to_ms=DAY1[1],
        config=config,
        families=("wfo",),
    )
    assert not (out / "wfo.evaluation_scores.parquet").exists()
    assert pq.read_schema(out / "wfo.qm_scores.parquet").names == report.table.arrow.names
    paths = WarehousePaths(tmp_path / "data")
    clock = SharedClock()
    with sandbox(clock) as url:
        with client(url, tmp_path / "state", clock, language="de") as wfo:
            org_id = tenant().org_id
            land_windows(
                paths, [report.table], org_id, *DAY1, wfo.report_pages(report, *DAY1, org_id)
            )
    assert pq.read_metadata(out / "wfo.qm_scores.parquet").num_rows > 0
    assert differences(paths.duckdb_path, out / "wfo.qm_scores.parquet", report.table) == {}
