"""The one ``Definitions`` of wxcc-warehouse, built from explicit lists.

Settings and secrets are read from the environment when a run starts (``pipelines.settings``,
``pipelines.orgs``): run config never holds a secret.
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets import analytics, legacy, reporting, wfo
from pipelines.assets.checks import freshness_checks, freshness_sensor
from pipelines.assets.search import ASSETS as SEARCH_ASSETS
from pipelines.assets.search import FEEDS as SEARCH_FEEDS
from pipelines.jobs import JOBS, SCHEDULES
from pipelines.resources import Warehouse, WxccApi
from pipelines.sensors import SENSORS

RESOURCES = {"wxcc": WxccApi(), "warehouse": Warehouse()}
ASSETS = [*SEARCH_ASSETS, *reporting.ASSETS, *legacy.ASSETS, *wfo.ASSETS, *analytics.ASSETS]
FRESHNESS_CHECKS = freshness_checks(ASSETS)
# Per job, the tables whose extraction-log rows tell that a window is complete (resumed loads).
JOB_LOGGED_ASSETS = {
    "search_job": [f.tables[0].qualified_name for f in SEARCH_FEEDS],
    "reporting_job": reporting.LOGGED,
    "legacy_job": legacy.LOGGED,
    "wfo_job": wfo.LOGGED,
}

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=[*FRESHNESS_CHECKS, *reporting.CHECKS],
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=[
        *SENSORS,
        freshness_sensor(FRESHNESS_CHECKS),
    ],
    resources=RESOURCES,
    # Steps share one DuckDB file, which takes a single writer process: run them in one process.
    executor=dg.in_process_executor,
)
