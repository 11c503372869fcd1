"""The orgs a deployment loads: one by default, or the list under ``orgs:`` in ``WXCC_CONFIG``.

Each org is a partition of every asset (the ``org`` dimension), named by a short stable name of
the operator's choosing. Its secrets stay in environment variables: the config file names the
variables, never the values, so it can be committed and shown in the UI.

    orgs:
      - name: acme                      # partition key: letters, digits, '-', '_'
        org_id: 1f2e...                  # optional: default the access token's org
        api_url: https://api.wxcc-us1.cisco.com   # optional: default WXCC_API_URL
        identity_url: https://webexapis.com       # optional: default WXCC_IDENTITY_URL
        client_id_env: ACME_CLIENT_ID
        client_secret_env: ACME_CLIENT_SECRET
        refresh_token_env: ACME_REFRESH_TOKEN
        requests_per_minute: 300         # optional: the tenant's API budget

Without the list, the one org is ``default`` and reads the single-org variables
(``WXCC_CLIENT_ID`` ... ``WXCC_ORG_ID``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pipelines.settings import Settings, base_url
from pipelines.sources.errors import ConfigError

DEFAULT_ORG = "default"
DEFAULT_REQUESTS_PER_MINUTE = 300  # the real service's budget per client (API_FACTS §0)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# An org's keys whose value is text, not a variable's name (``*_env``) nor a number.
_TEXT_KEYS = ("org_id", "api_url", "identity_url", "legacy_url", "wfo_url")


@dataclass(frozen=True)
class Org:
    """One org's partition name, where its API is, and the names of its secret variables."""

    name: str
    org_id: str | None = None
    api_url: str | None = None
    identity_url: str | None = None
    client_id_env: str = "WXCC_CLIENT_ID"
    client_secret_env: str = "WXCC_CLIENT_SECRET"
    refresh_token_env: str = "WXCC_REFRESH_TOKEN"
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    # The legacy v1 record API and WFO: base URLs (default their variables, then api_url) and
    # the variables holding their credentials.
    legacy_url: str | None = None
    legacy_api_key_env: str = "WXCC_LEGACY_API_KEY"
    legacy_user_id_env: str = "WXCC_LEGACY_USER_ID"
    legacy_tenant_id_env: str = "WXCC_LEGACY_TENANT_ID"
    wfo_url: str | None = None
    wfo_user_env: str = "WFO_USER"
    wfo_password_env: str = "WFO_PASSWORD"
    wfo_tenant_id_env: str = "WFO_TENANT_ID"

    def legacy_base_url(self) -> str | None:
        """The legacy record API's base URL: ``legacy_url``, ``WXCC_LEGACY_URL``, ``api_url``."""
        return self.legacy_url or os.environ.get("WXCC_LEGACY_URL") or self.api_url

    def wfo_base_url(self) -> str | None:
        """WFO's base URL: ``wfo_url``, ``WFO_URL``, then ``api_url``."""
        return self.wfo_url or os.environ.get("WFO_URL") or self.api_url

    def legacy_credentials(self) -> dict[str, str]:
        """The legacy record API's ``api_key``, ``user_id``, ``tenant_id``, read now."""
        names = {
            "api_key": self.legacy_api_key_env,
            "user_id": self.legacy_user_id_env,
            "tenant_id": self.legacy_tenant_id_env,
        }
        return read_vars(self, "the legacy record API", names)

    def wfo_credentials(self) -> dict[str, str]:
        """WFO's ``user`` and ``password``, read now."""
        return read_vars(
            self, "WFO", {"user": self.wfo_user_env, "password": self.wfo_password_env}
        )

    def credentials(self, env: Mapping[str, str] | None = None) -> tuple[str, str, str]:
        """``(client_id, client_secret, refresh_token)`` from the environment, read now."""
        env = os.environ if env is None else env
        missing = [
            var
            for var in (self.client_id_env, self.client_secret_env, self.refresh_token_env)
            if not env.get(var)
        ]
        if missing:
            raise ConfigError(
                f"org {self.name}: {', '.join(missing)} not set: set the OAuth integration's "
                "credentials in these variables"
            )
        return (
            env[self.client_id_env],
            env[self.client_secret_env],
            env[self.refresh_token_env],
        )


def checked_url(value: str, where: str) -> str:
    """``value`` if it is an http(s) URL naming a host; else a ConfigError naming ``where`` (the
    setting it came from), said before the load begins rather than in every window."""
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        shown = value if "@" not in value else "(a URL with credentials in it)"
        raise ConfigError(
            f"{where} must be an http:// or https:// URL naming a host, such as "
            f"https://api.wxcc-us1.cisco.com; got {shown!r}"
        )
    return value


def read_vars(
    org: Org, what: str, names: dict[str, str], env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Values of the variables ``names`` (argument -> variable name), all required, read now."""
    env = os.environ if env is None else env
    missing = [var for var in names.values() if not env.get(var)]
    if missing:
        raise ConfigError(f"org {org.name}: {what} needs {', '.join(missing)}: set them")
    return {arg: env[var] for arg, var in names.items()}


def orgs_of(settings: Settings) -> list[Org]:
    """The configured orgs, in config order (the single default org without an ``orgs`` list)."""
    listed = settings.config.get("orgs")
    if listed is None:
        return [
            Org(
                DEFAULT_ORG,
                org_id=settings.org_id,
                api_url=settings.api_url,
                identity_url=settings.identity_url,
                requests_per_minute=_budget(settings.config.get("requests_per_minute")),
            )
        ]
    if not isinstance(listed, list) or not listed:
        raise ConfigError(f"{settings.config_file}: 'orgs' must be a non-empty list")
    orgs = [_org(entry, settings, n) for n, entry in enumerate(listed)]
    names = [o.name for o in orgs]
    if len(set(names)) != len(names):
        raise ConfigError(f"{settings.config_file}: org names repeat: {', '.join(names)}")
    return orgs


def _org(entry: Any, settings: Settings, n: int) -> Org:
    where = f"{settings.config_file}: orgs[{n}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a mapping")
    known = {f for f in Org.__dataclass_fields__}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(unknown)} (known: {sorted(known)})")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{where}: 'name' must be 1-63 letters, digits, '-' or '_' (it names partitions)"
        )
    for key in [k for k in Org.__dataclass_fields__ if k.endswith("_env")]:
        if key in entry and not (isinstance(entry[key], str) and _VARIABLE.match(entry[key])):
            raise ConfigError(
                f"{where}: {key} must name an environment variable (letters, digits, '_'), "
                f"not {entry[key]!r}"
            )
    for key in _TEXT_KEYS:
        value = entry.get(key)
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise ConfigError(
                f"{where}: {key} must be text, not {value!r}"
                + (" (quote it in the YAML)" if isinstance(value, int | float) else "")
            )
    api_url = entry.get("api_url") or settings.api_url
    return Org(
        name=name,
        org_id=entry.get("org_id"),
        api_url=base_url(api_url),
        identity_url=(entry.get("identity_url") or settings.identity_url or api_url or None),
        client_id_env=entry.get("client_id_env", "WXCC_CLIENT_ID"),
        client_secret_env=entry.get("client_secret_env", "WXCC_CLIENT_SECRET"),
        refresh_token_env=entry.get("refresh_token_env", "WXCC_REFRESH_TOKEN"),
        requests_per_minute=_budget(
            entry.get("requests_per_minute", settings.config.get("requests_per_minute"))
        ),
        **{
            k: entry[k]
            for k in Org.__dataclass_fields__
            if k.startswith(("legacy_", "wfo_")) and k in entry
        },
    )


def _budget(value: Any) -> int:
    if value is None:
        return DEFAULT_REQUESTS_PER_MINUTE
    # bool is an int in Python: `requests_per_minute: true` must not pass as a budget of 1.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 1_000_000:
        raise ConfigError(
            f"requests_per_minute (WXCC_CONFIG) must be a whole number from 0 (unlimited) to "
            f"1000000, not {value!r}"
        )
    return value
