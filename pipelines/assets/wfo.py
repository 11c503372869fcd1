"""WFO assets: the configured Data Explorer reports and the people, group and team snapshots.

One step lands every WFO table of a window, so a run logs in once (the seed's session login),
renews when the session expires and always logs out. Windows run one after another: one session
pages one export at a time. The reports come from ``wfo_reports:`` in WXCC_CONFIG (default: the
sandbox tenant's own reports), read when the code location loads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.assets.windows import Landed, windowed_asset
from pipelines.partitions import Window
from pipelines.resources import Warehouse, WxccApi, resolve_org_id
from pipelines.settings import load_settings
from pipelines.sources.errors import ConfigError
from pipelines.sources.wfo import WfoClient
from warehouse.land import LandResult, land_windows
from warehouse.schemas import Table
from warehouse.schemas_wfo import SNAPSHOTS, reports_from_config

REPORTS = reports_from_config(load_settings().config)
TABLES: tuple[Table, ...] = (
    *(export.table for export in SNAPSHOTS.values()),
    *(report.table for report in REPORTS),
)


@dataclass
class _Wfo:
    org_id: str
    client: WfoClient
    warehouse: Warehouse

    def land(self, window: Window) -> Landed:
        landed: dict[Table, LandResult] = {}
        before = self.client.stats.as_dict()
        sources = [
            (
                export.table,
                self.client.snapshot_pages(kind, window.start_ms, window.end_ms, self.org_id),
            )
            for kind, export in SNAPSHOTS.items()
        ] + [
            (
                report.table,
                self.client.report_pages(report, window.start_ms, window.end_ms, self.org_id),
            )
            for report in REPORTS
        ]
        for table, pages in sources:
            landed |= land_windows(
                self.warehouse.paths,
                (table,),
                self.org_id,
                window.start_ms,
                window.end_ms,
                pages,
                publish=False,  # the step publishes once its windows landed
            )
        now = self.client.stats.as_dict()
        return Landed(
            landed,
            {
                "requests": now["exports_posted"]
                - before["exports_posted"]
                + now["polls"]
                - before["polls"]
            },
        )


@contextmanager
def _open(
    _context: dg.AssetExecutionContext, wxcc: WxccApi, warehouse: Warehouse, name: str
) -> Iterator[_Wfo]:
    org = wxcc.org(name)
    base_url = org.wfo_base_url()
    if not base_url:
        raise ConfigError(f"org {name}: set WFO_URL (or the org's wfo_url)")
    user = org.wfo_credentials()
    tenant = os.environ.get(org.wfo_tenant_id_env) or None
    state = Path(wxcc.data_dir or load_settings().data_dir) / "state" / org.name
    org_id = resolve_org_id(wxcc, org)
    with WfoClient(base_url, tenant_id=tenant, state_dir=state, **user) as client:
        yield _Wfo(org_id, client, warehouse)


ASSETS = [
    windowed_asset(
        name="wfo_exports",
        group="wfo",
        tables=TABLES,
        description="WFO Data Explorer reports and people, group and team snapshots.",
        opener=_open,
        workers=1,
    )
]
LOGGED = [TABLES[0].qualified_name]
