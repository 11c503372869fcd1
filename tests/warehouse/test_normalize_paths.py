"""The normalizer of issue 21 gives exactly what the one before it gave, on a sandbox day.

Every Search feed's pages of one UTC day (the sandbox's own answers through the Search client)
are normalized by the current ``warehouse.normalize`` and by the reference copy of the one before
(``tests/warehouse/normalize_before.py``), for every table each feed lands; the two batches must
have the same schema (types, field metadata) and, column by column, the same values and nulls.
Bad inputs give the same errors (the messages name column, path and record).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.assets.search import FEEDS
from pipelines.sources.http import WxccHttp
from pipelines.sources.search import SearchClient
from sandbox.server import serve_in_background
from tests.support import SEED, TASKS_PER_DAY, ms, sandbox_tokens
from tests.warehouse import normalize_before as before
from warehouse import normalize as now
from warehouse.schemas import TASK_DETAILS, TASK_VARIABLE
from warehouse.variables import CadVariable, with_variables

NOW = "2026-11-20T15:30:00"
DAY = (ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00"))
ORG = "org-1"


def _same(table_name: str, new: pa.RecordBatch, old: pa.RecordBatch) -> None:
    assert new.schema.equals(old.schema, check_metadata=True), table_name
    assert new.num_rows == old.num_rows, table_name
    for name in old.schema.names:
        a, b = new.column(name), old.column(name)
        assert a.type == b.type, (table_name, name)
        assert a.null_count == b.null_count, (table_name, name)
        assert a.equals(b), (table_name, name, a.to_pylist()[:3], b.to_pylist()[:3])


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list[dict]]]:
    """Every feed's pages of the day, as the Search client yields them."""
    tmp = tmp_path_factory.mktemp("state")
    found: dict[str, list[list[dict]]] = {}
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=ms(NOW), budget_per_minute=0
    ) as url:
        tokens = sandbox_tokens(url, Path(tmp))
        with SearchClient(WxccHttp(url, token_provider=tokens)) as client:
            for feed in FEEDS:
                found[feed.name] = list(client.window_pages(feed.query, *DAY))
    return found


def test_every_search_table_of_a_sandbox_day_is_the_same_column_by_column(
    pages: dict[str, list[list[dict]]],
) -> None:
    variables = (CadVariable("Customer_Tier", "string"),)
    compared = 0
    for feed in FEEDS:
        assert pages[feed.name], feed.name
        for page in pages[feed.name]:
            if TASK_VARIABLE in feed.tables:
                page = with_variables(page, variables)
            for table in feed.tables:
                new = now.records_to_batch(table, copy.deepcopy(page), ORG)
                old = before.records_to_batch(table, copy.deepcopy(page), ORG)
                _same(table.qualified_name, new, old)
                compared += new.num_rows
    assert compared > 10 * TASKS_PER_DAY  # tasks, activities, sessions, legs...


def test_a_large_chunked_page_is_the_same(pages: dict[str, list[list[dict]]]) -> None:
    records = [r for page in pages["task_details"] for r in page] * 3
    assert len(records) > now._CHUNK_ROWS  # several chunks, combined
    _same(
        "task_details",
        now.records_to_batch(TASK_DETAILS, records, ORG),
        before.records_to_batch(TASK_DETAILS, records, ORG),
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("status",), 5),  # a string column given a number
        (("status",), True),
        (("isActive",), "yes"),  # a boolean column given a string
        (("isActive",), 1),
        (("createdTime",), 1.5),  # an instant given a float
        (("createdTime",), 2**62),  # out of DuckDB's range
        (("endedTime",), -1),  # not reached yet: null
        (("lastAgent", "name"), ["x"]),
        (("lastAgent",), "agent"),  # a scalar where an object belongs
    ],
)
def test_a_bad_or_special_value_gives_the_same_result_or_error(
    pages: dict[str, list[list[dict]]], path: tuple[str, ...], value: object
) -> None:
    page = copy.deepcopy(pages["task_details"][0][:20])
    target = page[7]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    outcomes = []
    for module in (now, before):
        try:
            outcomes.append(module.records_to_batch(TASK_DETAILS, copy.deepcopy(page), ORG))
        except before.NormalizeError as exc:
            outcomes.append(("before", str(exc)))
        except now.NormalizeError as exc:
            outcomes.append(("now", str(exc)))
    new, old = outcomes
    if isinstance(old, pa.RecordBatch):
        assert isinstance(new, pa.RecordBatch), new
        _same("task_details", new, old)
    else:
        assert not isinstance(new, pa.RecordBatch), f"no error now; before: {old[1]}"
        assert new[1] == old[1]
