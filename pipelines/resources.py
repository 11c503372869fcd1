"""Thin typed adapters from Dagster configuration to the clients and the warehouse.

Secrets never pass through Dagster: each org names the environment variables that hold them
(``pipelines.orgs``) and they are read when a run starts, so run config and the event log hold
variable names at most, never values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines.orgs import Org, orgs_of
from pipelines.settings import load_settings
from pipelines.sources.auth import TokenProvider
from pipelines.sources.budget import SharedRateLimiter
from pipelines.sources.errors import ConfigError
from pipelines.sources.http import Limiter, RetryPolicy, SystemClock, WxccHttp
from pipelines.sources.search import SearchClient
from warehouse.land import WarehousePaths


@dataclass
class OrgSession:
    """What every client of one org in one run shares: its token provider and API budget.

    Clients are made per window (``search_client``), so each window's request statistics are its
    own while all windows draw on one token and one budget.
    """

    org: Org
    org_id: str
    api_url: str
    tokens: TokenProvider
    limiter: Limiter | None

    def http(self) -> WxccHttp:
        """A transport of its own (its own statistics) on the org's token and budget."""
        return WxccHttp(
            self.api_url,
            token_provider=self.tokens,
            retry=RetryPolicy(),
            clock=SystemClock(),
            limiter=self.limiter,
        )

    @contextmanager
    def search_client(self) -> Iterator[SearchClient]:
        with SearchClient(self.http(), org_id=self.org.org_id) as client:
            yield client


class WxccApi(dg.ConfigurableResource):
    """The WxCC tenants of this deployment: the orgs of ``pipelines.orgs``, read when a run starts."""

    data_dir: str | None = Field(default=None, description="default WXCC_DATA_DIR or ./data")

    def org(self, name: str) -> Org:
        for org in orgs_of(load_settings()):
            if org.name == name:
                return org
        raise ConfigError(f"no org named {name!r} is configured (WXCC_CONFIG 'orgs')")

    @contextmanager
    def session(self, name: str) -> Iterator[OrgSession]:
        """The org's token provider (state under ``<data>/state/<org>``) and shared budget."""
        org = self.org(name)
        if not org.api_url:
            raise ConfigError(f"org {name}: no API URL: set WXCC_API_URL or the org's api_url")
        data_dir = Path(self.data_dir or load_settings().data_dir)
        state = data_dir / "state" / org.name
        client_id, client_secret, refresh_token = org.credentials()
        with ExitStack() as stack:
            tokens = stack.enter_context(
                TokenProvider(
                    identity_url=org.identity_url or org.api_url,
                    client_id=client_id,
                    client_secret=client_secret,
                    refresh_token=refresh_token,
                    state_dir=state,
                    clock=SystemClock(),
                )
            )
            limiter = (
                SharedRateLimiter(state / "api-budget", org.requests_per_minute)
                if org.requests_per_minute
                else None
            )
            org_id = org.org_id or org_id_of_token(tokens.token())
            yield OrgSession(org, org_id, org.api_url, tokens, limiter)


def resolve_org_id(wxcc: WxccApi, org: Org) -> str:
    """The org's id: configured, else named by its OAuth access token (APIs without one, such as
    the legacy records and WFO, still land under the id the Search tables use)."""
    if org.org_id:
        return org.org_id
    with wxcc.session(org.name) as session:
        return session.org_id


def org_id_of_token(access_token: str) -> str:
    """Webex access tokens read ``<token>_<ciCluster>_<orgId>`` (Cisco's samples split them so)."""
    parts = access_token.split("_")
    if len(parts) != 3 or not parts[2]:
        raise ConfigError(
            "the org id is not configured (WXCC_ORG_ID, or org_id in WXCC_CONFIG) and the access "
            "token does not name an org: configure it"
        )
    return parts[2]


class Warehouse(dg.ConfigurableResource):
    """Where the Parquet files and the DuckDB warehouse live."""

    data_dir: str | None = Field(default=None, description="default WXCC_DATA_DIR or ./data")

    @property
    def paths(self) -> WarehousePaths:
        settings = load_settings()
        if not self.data_dir:
            return settings.paths
        # The storage URL comes from the environment, never from run config (with its
        # endpoint, it says where credentials are used; they are the AWS SDK's own).
        return WarehousePaths(Path(self.data_dir), settings.storage)
