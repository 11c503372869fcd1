"""The one ``Definitions`` of wxcc-warehouse, built from explicit lists.

Required settings and secrets are ``EnvVar``s; optional ones (identity URL, org id, data dir) are
read from the environment when a run starts (``pipelines.settings``), so leaving them unset works.
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets.search import ASSETS as SEARCH_ASSETS
from pipelines.jobs import JOBS, SCHEDULES
from pipelines.resources import Warehouse, WxccApi
from pipelines.sensors import SENSORS

RESOURCES = {
    "wxcc": WxccApi(
        api_url=dg.EnvVar("WXCC_API_URL"),
        client_id=dg.EnvVar("WXCC_CLIENT_ID"),
        client_secret=dg.EnvVar("WXCC_CLIENT_SECRET"),
        refresh_token=dg.EnvVar("WXCC_REFRESH_TOKEN"),
    ),
    "warehouse": Warehouse(),
}

defs = dg.Definitions(
    assets=[*SEARCH_ASSETS],
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources=RESOURCES,
    # Steps share one DuckDB file, which takes a single writer process: run them in one process.
    executor=dg.in_process_executor,
)
