"""Against the sandbox: a window over the cap is split; a cut CSV answer fails its window and
writes nothing of it; refused credentials fail clearly without the key."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pipelines.sources.errors import AuthError, MalformedResponse
from sandbox.model import Tenant
from sandbox.server import serve_in_background
from tests.e2e.truth_compare import table_rows
from tests.legacy._support import API_KEY, DAY1, NOW_MS, ORG_ID, client
from tests.support import SEED, TASKS_PER_DAY
from warehouse.land import WarehousePaths, land_windows
from warehouse.schemas_legacy import CAR, CSR

DAY_MS = 86_400_000


class CuttingTransport(httpx.BaseTransport):
    """Passes requests to the server and cuts the body of answer number ``cut`` to a third."""

    def __init__(self, cut: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.cut = cut
        self.answers = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        self.answers += 1
        if self.answers == self.cut:
            body = body[: len(body) // 3]
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=headers, content=body)

    def close(self) -> None:
        self.inner.close()


def _car_ids(start: int, end: int) -> list[str]:
    """CAR ids of the window, from the model's task activities (not the legacy records)."""
    tasks = Tenant(SEED, TASKS_PER_DAY).tasks(start - DAY_MS, end, NOW_MS)
    return sorted(
        n["id"] for t in tasks for n in t["_activities"] if start <= n["createdTime"] < end
    )


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_window_over_the_cap_is_split_and_complete(fmt: str) -> None:
    cap = 700
    with serve_in_background(
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=NOW_MS,
        budget_per_minute=0,
        options={"legacy.record_cap": cap},
    ) as url:
        with client(url, fmt, record_cap=cap) as legacy:
            pages = list(legacy.pages(CAR, *DAY1, org_id=ORG_ID))
    sizes = [len(p) if isinstance(p, list) else p.num_rows for p in pages]
    ids = [
        r["id"] for p in pages for r in (p if isinstance(p, list) else p.select(["id"]).to_pylist())
    ]
    assert sorted(ids) == _car_ids(*DAY1)
    assert len(ids) > 4 * cap
    assert legacy.stats.splits >= 4 and max(sizes) < cap


def test_a_cut_csv_answer_fails_its_window_and_writes_nothing_of_it(tmp_path: Path) -> None:
    cap = 200
    with serve_in_background(
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=NOW_MS,
        budget_per_minute=0,
        options={"legacy.record_cap": cap},
    ) as url:
        loaded = WarehousePaths(tmp_path / "loaded")
        with client(url, "csv", record_cap=cap) as legacy:
            land_windows(loaded, [CSR], ORG_ID, *DAY1, legacy.pages(CSR, *DAY1, org_id=ORG_ID))
        before = table_rows(loaded.duckdb_path, CSR)
        files = {p: p.read_bytes() for p in loaded.parquet_root.rglob("*") if p.is_file()}
        for paths in (loaded, WarehousePaths(tmp_path / "fresh")):
            transport = CuttingTransport(cut=3)
            with client(url, "csv", record_cap=cap, transport=transport) as legacy:
                pages = legacy.pages(CSR, *DAY1, org_id=ORG_ID)
                with pytest.raises(MalformedResponse) as info:
                    land_windows(paths, [CSR], ORG_ID, *DAY1, pages)
            message = str(info.value)
            assert "legacy csrs [2026-11-18T" in message
            assert "truncated: line" in message or "malformed CSV at line" in message
    assert table_rows(loaded.duckdb_path, CSR) == before
    assert {p: p.read_bytes() for p in loaded.parquet_root.rglob("*") if p.is_file()} == files
    fresh = tmp_path / "fresh"
    assert not [p for p in fresh.rglob("*.parquet")]
    assert not (fresh / "warehouse.duckdb").exists()


@pytest.mark.parametrize(
    "wrong", [{"api_key": "wrong-key-123"}, {"tenant_id": "other-tenant"}, {"user_id": "x@y.z"}]
)
def test_refused_credentials_fail_clearly_without_the_key(wrong: dict[str, str]) -> None:
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=NOW_MS, budget_per_minute=0
    ) as url:
        with client(url, "json", **wrong) as legacy:
            with pytest.raises(AuthError) as info:
                next(iter(legacy.pages(CSR, *DAY1, org_id=ORG_ID)))
    message = str(info.value)
    assert "HTTP 401" in message and "legacy csrs [2026-11-18T00:00:00Z" in message
    assert "WXCC_LEGACY_API_KEY" in message and "WXCC_LEGACY_TENANT_ID" in message
    for secret in (API_KEY, wrong.get("api_key", API_KEY), legacy._authorization.split(";")[0]):
        assert secret not in message
