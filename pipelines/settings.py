"""Settings from the environment, a ``.env`` file and the optional ``WXCC_CONFIG`` YAML file.

CONTRACT.md names every variable. Secrets are read here only to be handed to clients; ``repr`` of
``Settings`` masks them so a settings object can be logged or shown in an error safely.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from dotenv import load_dotenv

from pipelines.sources.errors import ConfigError
from warehouse.land import WarehousePaths
from warehouse.objects import ObjectStore

SECRET_FIELDS = frozenset({"client_secret", "refresh_token", "legacy_api_key", "wfo_password"})

# The development credentials of the embedded sandbox tenant (CONTRACT.md); not secrets.
SANDBOX_CREDENTIALS = {
    "WXCC_CLIENT_ID": "sandbox-client",
    "WXCC_CLIENT_SECRET": "sandbox-secret",
    "WXCC_REFRESH_TOKEN": "sandbox-refresh",
    "WXCC_LEGACY_API_KEY": "sandbox-api-key",
    "WXCC_LEGACY_USER_ID": "sandbox@example.com",
    "WXCC_LEGACY_TENANT_ID": "sandbox-tenant",
    "WFO_USER": "sandbox",
    "WFO_PASSWORD": "sandbox-password",
    "WFO_TENANT_ID": "sandbox-tenant",
}


@dataclass(frozen=True)
class Settings:
    """Where the warehouse lives and how to reach one tenant."""

    data_dir: Path = Path("data")
    api_url: str | None = None
    identity_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    org_id: str | None = None
    start_date: str | None = None
    config_file: Path | None = None
    config: dict[str, Any] = field(default_factory=dict, repr=False)
    # Window files in an S3-compatible bucket (WXCC_STORAGE_URL); None: on the local disk.
    storage: ObjectStore | None = None

    @property
    def uses_sandbox(self) -> bool:
        """No API URL configured: the embedded sandbox tenant is the default."""
        return not self.api_url

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(self.data_dir, self.storage)

    @property
    def dagster_home(self) -> Path:
        # Absolute (Dagster refuses a relative one), and a quoted ``~`` (a .env) expanded.
        home = Path(os.environ.get("DAGSTER_HOME") or (self.data_dir / "dagster"))
        return home.expanduser().absolute()

    def require_credentials(self) -> None:
        missing = [
            name
            for name, value in (
                ("WXCC_CLIENT_ID", self.client_id),
                ("WXCC_CLIENT_SECRET", self.client_secret),
                ("WXCC_REFRESH_TOKEN", self.refresh_token),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"WXCC_API_URL is set but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not: set the OAuth integration's "
                "credentials (see README, 'Pointing it at a real tenant')"
            )

    def __repr__(self) -> str:  # secrets masked even if a field's repr flag is ever changed
        shown = ", ".join(
            f"{f.name}={'***' if f.name in SECRET_FIELDS else getattr(self, f.name)!r}"
            for f in fields(self)
            if f.name != "config"
        )
        return f"Settings({shown})"


def base_url(url: str | None) -> str | None:
    """``url`` without its trailing slashes, but whole when nothing but its scheme would be
    left (``http://``), so that a refusal quotes what was set."""
    if not url:
        return None
    stripped = url.rstrip("/")
    return stripped if "://" in stripped else url


def load_settings(env: dict[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Read settings; ``env`` defaults to ``os.environ`` (after loading ``./.env`` if present)."""
    if env is None:
        if dotenv and Path(".env").is_file():
            _load_dotenv(Path(".env"))
        env = dict(os.environ)
    config_file = _config_path(env)
    config = _read_config(config_file) if config_file else {}
    api_url = env.get("WXCC_API_URL") or None
    return Settings(
        # A `~` a shell would have expanded stays as typed in a .env or a quoted value.
        data_dir=Path(env.get("WXCC_DATA_DIR") or "data").expanduser(),
        api_url=base_url(api_url),
        identity_url=base_url(env.get("WXCC_IDENTITY_URL") or api_url),
        client_id=env.get("WXCC_CLIENT_ID") or None,
        client_secret=env.get("WXCC_CLIENT_SECRET") or None,
        refresh_token=env.get("WXCC_REFRESH_TOKEN") or None,
        org_id=env.get("WXCC_ORG_ID") or None,
        start_date=env.get("WXCC_START_DATE") or None,
        config_file=config_file,
        config=config,
        storage=storage_of(env, config),
    )


# Setting -> (variable, WXCC_CONFIG key). Credentials are not settings of ours: the S3 client
# reads the AWS SDK's chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a role).
STORAGE_SETTINGS = {
    "url": ("WXCC_STORAGE_URL", "storage_url"),
    "endpoint_url": ("WXCC_S3_ENDPOINT_URL", "s3_endpoint_url"),
    "region": ("WXCC_S3_REGION", "s3_region"),
}


def storage_of(env: dict[str, str], config: dict[str, Any]) -> ObjectStore | None:
    """Where window files live: ``WXCC_STORAGE_URL`` (or ``storage_url`` in ``WXCC_CONFIG``;
    the variable wins), with the S3 endpoint and region beside it; None: the local disk."""
    found: dict[str, str | None] = {}
    for name, (variable, key) in STORAGE_SETTINGS.items():
        value = env.get(variable) or config.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{key} in WXCC_CONFIG must be a string, not {value!r}")
        found[name] = value or None
    if not found["url"]:
        if found["endpoint_url"]:
            raise ConfigError(
                "WXCC_S3_ENDPOINT_URL is set but WXCC_STORAGE_URL is not: set the bucket too "
                "(s3://<bucket>/<prefix>)"
            )
        return None
    try:
        return ObjectStore(found["url"], found["endpoint_url"], found["region"])  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _load_dotenv(path: Path) -> None:
    """The working directory's ``.env`` (never a parent's), refused clearly when unreadable."""
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.absolute()} is not UTF-8 text (byte {exc.start}): save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path.absolute()} cannot be read: {exc.strerror}") from None
    load_dotenv(path, override=False)


def utc_now(env: dict[str, str] | None = None) -> datetime:
    """The load's clock: now, or ``WXCC_NOW`` (an ISO instant) to agree with a sandbox whose
    clock is frozen (``wxcc-sandbox serve --now``): which days are open depends on it."""
    env = os.environ if env is None else env
    text = env.get("WXCC_NOW")
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"WXCC_NOW {text!r} is not an ISO instant (2026-11-20T15:30:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _config_path(env: dict[str, str]) -> Path | None:
    if env.get("WXCC_CONFIG"):
        path = Path(env["WXCC_CONFIG"]).expanduser()
        if path.is_dir():
            raise ConfigError(f"WXCC_CONFIG names {path}, which is a directory: name the YAML file")
        if not path.is_file():
            raise ConfigError(f"WXCC_CONFIG names {path}, which does not exist")
        return path
    default = Path("wxcc.yaml")
    return default if default.is_file() else None


# The top-level keys of WXCC_CONFIG and who reads them: orgs and requests_per_minute
# (pipelines/orgs.py), start_date (pipelines/partitions.py), cad_variables (the Search assets),
# wfo_reports (warehouse/schemas_wfo.py), the storage keys (STORAGE_SETTINGS above), sandbox
# (the sandbox's own options, `wxcc-sandbox --config`).
CONFIG_KEYS = frozenset(
    {"orgs", "requests_per_minute", "start_date", "cad_variables", "wfo_reports", "sandbox"}
    | {key for _variable, key in STORAGE_SETTINGS.values()}
)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} (WXCC_CONFIG) is not UTF-8 text (byte {exc.start}): save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path} (WXCC_CONFIG) cannot be read: {exc.strerror}") from None
    except ValueError as exc:
        # PyYAML reads an unquoted 2025-02-30 as a date and fails building it, naming no line.
        raise ConfigError(
            f"{path} (WXCC_CONFIG): a value written as a date or time is not one ({exc}): "
            "correct it, or quote it"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at its top level")
    unknown = sorted(str(k) for k in data if k not in CONFIG_KEYS)
    if unknown:
        # A misspelt key (`org:` for `orgs:`) was ignored before, and the load went on without
        # what it meant: the embedded sandbox instead of the tenants listed.
        hints = [
            f"{k!r} (did you mean {close[0]!r}?)" if close else repr(k)
            for k in unknown
            for close in [difflib.get_close_matches(k, CONFIG_KEYS, n=1)]
        ]
        raise ConfigError(
            f"{path} (WXCC_CONFIG): unknown top-level key{'s' if len(hints) > 1 else ''} "
            f"{', '.join(hints)}; the keys are "
            f"{', '.join(sorted(CONFIG_KEYS))}"
        )
    return data
