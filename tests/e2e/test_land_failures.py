"""A window that fails mid-way lands nothing: the previous version of the window stays whole."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pipelines.sources.errors import MalformedResponse
from pipelines.sources.http import WxccHttp
from pipelines.sources.search import SearchClient
from sandbox.server import serve_in_background
from tests.e2e.truth_compare import table_rows
from tests.support import SEED, TASKS_PER_DAY, ms, sandbox_tokens
from warehouse.land import WarehousePaths, land_window
from warehouse.normalize import records_to_batch
from warehouse.schemas import TASK_DETAILS

NOW = "2026-11-20T15:30:00"
START, END = ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00")


class TruncatingTransport(httpx.BaseTransport):
    """The real network, except that the ``nth`` Search page arrives cut in half."""

    def __init__(self, nth: int | None) -> None:
        self.inner = httpx.HTTPTransport()
        self.nth = nth
        self.pages = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path != "/search" or b"taskDetailsPage" not in request.content:
            return response
        self.pages += 1
        body = response.read()
        if self.pages == self.nth:
            body = body[: len(body) // 2]
        return httpx.Response(
            response.status_code, headers={"content-type": "application/json"}, content=body
        )


def _land(url: str, tmp_path: Path, paths: WarehousePaths, nth: int | None) -> None:
    tokens = sandbox_tokens(url, paths.data_dir / "state")
    http = WxccHttp(url, token_provider=tokens, transport=TruncatingTransport(nth))
    with SearchClient(http) as client:
        org_id = tokens.token().split("_")[2]
        batches = (
            records_to_batch(TASK_DETAILS, page, org_id)
            for page in client.task_details_pages(START, END)
        )
        land_window(paths, TASK_DETAILS, org_id, START, END, batches)


def test_a_malformed_page_fails_clearly_and_writes_nothing(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path / "data")
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=ms(NOW), budget_per_minute=0
    ) as url:
        _land(url, tmp_path, paths, nth=None)
        before = table_rows(paths.duckdb_path, TASK_DETAILS)
        files_before = {p: p.read_bytes() for p in paths.parquet_root.rglob("*") if p.is_file()}
        with pytest.raises(MalformedResponse, match=r"2026-11-18.*page 2|page 2.*2026-11-18"):
            _land(url, tmp_path, paths, nth=2)
    assert table_rows(paths.duckdb_path, TASK_DETAILS) == before
    files_after = {p: p.read_bytes() for p in paths.parquet_root.rglob("*") if p.is_file()}
    assert files_after == files_before
