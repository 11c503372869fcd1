"""Hostile names in WXCC_CONFIG are refused with one clear sentence before anything runs."""

from __future__ import annotations

import copy

import pytest

from warehouse.schemas_wfo import DEFAULT_REPORTS_CONFIG, report_from_config

HOSTILE = ["../../x", "a/b", 'q"uote', "sp ace", "é", "Upper", "1st", "a" * 64, ""]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_wfo_report_named_like_a_path_or_sql_is_refused(name: str) -> None:
    spec = copy.deepcopy(DEFAULT_REPORTS_CONFIG[0])
    spec["table"] = name
    with pytest.raises(ValueError, match="table and column names must be 1-63 lower-case"):
        report_from_config(spec)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_wfo_report_column_named_like_a_path_or_sql_is_refused(name: str) -> None:
    spec = copy.deepcopy(DEFAULT_REPORTS_CONFIG[0])
    spec["columns"][-1]["name"] = name
    with pytest.raises(ValueError, match=r"not '|not \""):
        report_from_config(spec)


def test_the_default_reports_pass() -> None:
    assert [report_from_config(s).table.name for s in DEFAULT_REPORTS_CONFIG]
