"""The layers of STYLE.md: clients, warehouse and sandbox never import dagster."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAGSTER_FREE = ["pipelines/sources", "warehouse", "sandbox", "queries"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", DAGSTER_FREE)
def test_package_imports_no_dagster(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    offenders = [str(f.relative_to(ROOT)) for f in files if {"dagster"} & _imports(f)]
    assert offenders == []


def test_pipelines_package_init_imports_nothing() -> None:
    assert _imports(ROOT / "pipelines" / "__init__.py") == set()
