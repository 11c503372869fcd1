"""Installs come from the locks: what runs is exactly what the locks name, and every declared
dependency is one the project uses."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")

# The packages users meet, whose versions decide behaviour (CI prints them too).
MAIN = ("dagster", "duckdb", "sqlalchemy", "duckdb-engine", "pyarrow", "pandas", "httpx")

# Declared but never imported by our code, each for a reason.
NOT_IMPORTED = {
    "dagster-webserver": "the UI server `make ui` starts (`dagster-webserver` command)",
    "duckdb-engine": "the SQLAlchemy dialect BI tools and pandas.read_sql open the warehouse with",
    "sqlalchemy": "duckdb-engine's base; pinned below 2.1 for reflection",
    "pytest": "runs the suite",
    "pytest-timeout": "pytest plugin (timeout = 300 in pyproject.toml)",
    "pytest-randomly": "pytest plugin: the suite runs in a shuffled order",
    "pytest-xdist": "pytest plugin: `make test` runs the suite in two worker processes",
    "ruff": "lint and format checks run by tests/test_lint.py",
    "dagster-postgres": "Dagster's Postgres storage, named in dagster.yaml",
    "psycopg2-binary": "the driver dagster-postgres connects with",
    "moto": "its `moto_server` command: the S3-compatible server the object-storage test starts",
}
IMPORT_NAMES = {
    "graphql-core": "graphql",
    "pyyaml": "yaml",
    "python-dotenv": "dotenv",
    "arro3-core": "arro3",  # arro3.core
    "arro3-io": "arro3",  # arro3.io
}


def pins(lock: str) -> dict[str, str]:
    """``{name: version}`` of the entries of a lock that apply to this interpreter."""
    found: dict[str, str] = {}
    for line in (ROOT / lock).read_text().splitlines():
        match = PIN.match(line)
        if not match:
            continue
        name, version, marker = match.groups()
        if marker and not Marker(marker).evaluate():
            continue
        found[canonicalize_name(name)] = version
    return found


def test_the_environment_holds_exactly_the_test_lock() -> None:
    locked = pins("requirements-test.lock")
    assert {canonicalize_name(n) for n in MAIN} <= set(locked)
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differ = {n: (v, installed.get(n)) for n, v in locked.items() if installed.get(n) != v}
    assert differ == {}, "run `make clean test`: the venv drifted from requirements-test.lock"


def test_the_run_lock_is_the_test_lock_without_the_test_tools() -> None:
    run, test = pins("requirements.lock"), pins("requirements-test.lock")
    assert {n: v for n, v in run.items() if test.get(n) != v} == {}
    assert "pytest" not in run and "pandas" not in run


def test_every_pin_has_hashes() -> None:
    for lock in ("requirements.lock", "requirements-test.lock"):
        text = (ROOT / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text)
        for entry in entries:
            if PIN.match(entry.splitlines()[0]):
                assert "--hash=sha256:" in entry, (lock, entry.splitlines()[0])


def test_sqlalchemy_stays_below_2_1_for_duckdb_engine_reflection() -> None:
    assert tuple(int(p) for p in pins("requirements.lock")["sqlalchemy"].split(".")[:2]) < (2, 1)


def _imported_top_levels() -> set[str]:
    names: set[str] = set()
    for package in ("pipelines", "warehouse", "sandbox", "queries", "tests", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names


def test_every_declared_dependency_is_imported_or_has_a_reason() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r).name for r in project["dependencies"]]
    declared += [
        Requirement(r).name for deps in project["optional-dependencies"].values() for r in deps
    ]
    imported = _imported_top_levels()
    unused = [
        name
        for name in declared
        if name not in NOT_IMPORTED
        and IMPORT_NAMES.get(name, name.replace("-", "_")) not in imported
    ]
    assert unused == []
