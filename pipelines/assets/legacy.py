"""Legacy v1 record assets: legacy.csr, legacy.car, legacy.asr, legacy.aar per org and UTC day.

One asset per record type (one request stream each), JSON or CSV as ``WXCC_LEGACY_FORMAT`` says.
The records' ``org_id`` is the org's id (configured, else its OAuth token's), so they join the
Search tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.assets.windows import Landed, windowed_asset
from pipelines.orgs import Org
from pipelines.partitions import Window
from pipelines.resources import Warehouse, WxccApi, resolve_org_id
from pipelines.settings import load_settings
from pipelines.sources.budget import SharedRateLimiter
from pipelines.sources.errors import ConfigError
from pipelines.sources.legacy import LegacyClient
from warehouse import schemas_legacy
from warehouse.land import land_windows
from warehouse.schemas import Table

_DESCRIPTIONS = {
    "csr": "Contact session records (CSR) of the legacy v1 API, one row per task.",
    "car": "Contact activity records (CAR) of the legacy v1 API, linked to their CSR by session.",
    "asr": "Agent session records (ASR) of the legacy v1 API.",
    "aar": "Agent activity records (AAR) of the legacy v1 API.",
}


@dataclass
class _Legacy:
    org: Org
    org_id: str
    table: Table
    base_url: str
    credentials: dict[str, str]
    fmt: str
    limiter: SharedRateLimiter | None
    warehouse: Warehouse

    def land(self, window: Window) -> Landed:
        with LegacyClient(
            self.base_url, fmt=self.fmt, limiter=self.limiter, **self.credentials
        ) as client:
            pages = client.pages(self.table, window.start_ms, window.end_ms, org_id=self.org_id)
            try:
                tables = land_windows(
                    self.warehouse.paths,
                    (self.table,),
                    self.org_id,
                    window.start_ms,
                    window.end_ms,
                    pages,
                    publish=False,  # the step publishes once its windows landed
                )
            except Exception as exc:
                exc.window_stats = _stats(client)  # type: ignore[attr-defined]
                raise
            return Landed(tables, _stats(client))


def _stats(client: LegacyClient) -> dict[str, int]:
    http = client.http_stats.as_dict()
    return {
        "pages": int(client.stats.as_dict().get("pages", 0)),
        "requests": int(http.get("requests", 0)),
        "retries": int(http.get("retries", 0)),
        "rate_limited": int(http.get("rate_limited", 0)),
    }


def _opener(table: Table):  # noqa: ANN202
    @contextmanager
    def open_legacy(
        _context: dg.AssetExecutionContext, wxcc: WxccApi, warehouse: Warehouse, name: str
    ) -> Iterator[_Legacy]:
        org = wxcc.org(name)
        base_url = org.legacy_base_url()
        if not base_url:
            raise ConfigError(f"org {name}: set WXCC_LEGACY_URL (or the org's legacy_url)")
        credentials = org.legacy_credentials()
        state = Path(wxcc.data_dir or load_settings().data_dir) / "state" / org.name
        limiter = (
            SharedRateLimiter(state / "legacy-budget", org.requests_per_minute)
            if org.requests_per_minute
            else None
        )
        yield _Legacy(
            org,
            resolve_org_id(wxcc, org),
            table,
            base_url,
            credentials,
            os.environ.get("WXCC_LEGACY_FORMAT", "json"),
            limiter,
            warehouse,
        )

    return open_legacy


ASSETS = [
    windowed_asset(
        name=f"legacy_{table.name}",
        group="legacy",
        tables=(table,),
        description=_DESCRIPTIONS[table.name],
        opener=_opener(table),
    )
    for table in schemas_legacy.TABLES
]
LOGGED = [t.qualified_name for t in schemas_legacy.TABLES]
