"""Thin typed adapters from Dagster configuration to the clients and the warehouse.

Secrets arrive as ``EnvVar`` so run config and event storage hold variable names, never values.
Optional settings left unset (``None``) are read from the environment when a run starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines.settings import load_settings
from pipelines.sources.auth import TokenProvider
from pipelines.sources.errors import ConfigError
from pipelines.sources.http import RateLimiter, RetryPolicy, SystemClock, WxccHttp
from pipelines.sources.search import SearchClient
from warehouse.land import WarehousePaths


class WxccApi(dg.ConfigurableResource):
    """One WxCC tenant's API: where it is, and the OAuth integration that reads it."""

    api_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    identity_url: str | None = Field(
        default=None, description="OAuth base; default WXCC_IDENTITY_URL or api_url"
    )
    org_id: str | None = Field(
        default=None, description="default WXCC_ORG_ID, else the token's org"
    )
    data_dir: str | None = Field(default=None, description="default WXCC_DATA_DIR or ./data")
    requests_per_minute: int = Field(
        default=0, description="Client-side request budget (0: only the API's 429s pace the run)"
    )

    @contextmanager
    def search_client(self) -> Iterator[tuple[SearchClient, str]]:
        """A Search client and the org it reads: the configured one, else the token's own."""
        settings = load_settings()
        clock = SystemClock()
        tokens = TokenProvider(
            identity_url=self.identity_url or settings.identity_url or self.api_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
            state_dir=Path(self.data_dir or settings.data_dir) / "state",
            clock=clock,
        )
        limiter = RateLimiter(self.requests_per_minute, clock) if self.requests_per_minute else None
        http = WxccHttp(
            self.api_url, token_provider=tokens, retry=RetryPolicy(), clock=clock, limiter=limiter
        )
        with closing(tokens), SearchClient(http, org_id=self.org_id or settings.org_id) as client:
            yield client, self.org_id or settings.org_id or org_id_of_token(tokens.token())


def org_id_of_token(access_token: str) -> str:
    """Webex access tokens read ``<token>_<ciCluster>_<orgId>`` (Cisco's samples split them so)."""
    parts = access_token.split("_")
    if len(parts) != 3 or not parts[2]:
        raise ConfigError(
            "WXCC_ORG_ID is not set and the access token does not name an org: set WXCC_ORG_ID"
        )
    return parts[2]


class Warehouse(dg.ConfigurableResource):
    """Where the Parquet files and the DuckDB warehouse live."""

    data_dir: str | None = Field(default=None, description="default WXCC_DATA_DIR or ./data")

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.data_dir)) if self.data_dir else load_settings().paths
