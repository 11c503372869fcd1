"""GraphQL and SQL text assets, loaded by name.

Queries live as files so they can be read, diffed and validated offline; code never assembles a
query from strings. Unknown names raise ``KeyError`` rather than returning an empty query.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

_ROOT = resources.files(__name__)


def _load(kind: str, name: str, suffix: str) -> str:
    if ".." in name or name.startswith("/"):
        raise KeyError(f"invalid {kind} query name: {name!r}")
    path = _ROOT.joinpath(kind, *f"{name}{suffix}".split("/"))
    if not path.is_file():
        raise KeyError(f"unknown {kind} query: {name!r}")
    return path.read_text(encoding="utf-8")


@cache
def graphql(name: str) -> str:
    """Text of ``queries/graphql/<name>.graphql``."""
    return _load("graphql", name, ".graphql")


@cache
def sql(name: str) -> str:
    """Text of ``queries/sql/<name>.sql`` (``name`` may hold a folder: ``ddl/create_x``)."""
    return _load("sql", name, ".sql")


def sql_names(folder: str) -> list[str]:
    """Names of the SQL files in one folder, sorted, for tests that prepare every statement."""
    base = _ROOT.joinpath("sql", folder)
    return sorted(f"{folder}/{p.name[:-4]}" for p in base.iterdir() if p.name.endswith(".sql"))
