"""Test support: a sandbox tenant in a background thread and a pipeline environment."""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from sandbox.server import serve_in_background

SEED = 42
TASKS_PER_DAY = 400  # small: e2e checks values, the bench checks volume


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@dataclass
class Pipeline:
    """The environment a load runs in: where data lands and which instance records it."""

    data_dir: Path
    dagster_home: Path
    instance: dg.DagsterInstance

    def load(self, *days: str, org: str = "default") -> list[dg.ExecuteInProcessResult]:
        """One run per UTC day (``2026-11-20``) of ``org``."""
        from pipelines.definitions import defs
        from pipelines.partitions import partition_key

        job = defs.resolve_job_def("search_job")
        return [
            job.execute_in_process(
                partition_key=partition_key(org, day),
                instance=self.instance,
                raise_on_error=False,
            )
            for day in days
        ]


@contextmanager
def sandbox(now: str, **kwargs: object) -> Iterator[str]:
    options = {"seed": SEED, "tasks_per_day": TASKS_PER_DAY, "budget_per_minute": 0, **kwargs}
    with serve_in_background(now_ms=ms(now), **options) as url:
        yield url


def make_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """An environment for one load under tmp_path, with an instance of its own."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("WXCC_", "WFO_")):
            monkeypatch.delenv(name)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("WXCC_DATA_DIR", str(data_dir))
    from pipelines.settings import SANDBOX_CREDENTIALS

    for name, value in SANDBOX_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        yield Pipeline(data_dir, home, instance)


@contextmanager
def fresh_pipelines() -> Iterator[Callable[[], types.ModuleType]]:
    """A loader of the ``pipelines`` package imported afresh (its Definitions read the config as a
    new process would); when the block ends, ``sys.modules`` holds exactly the ``pipelines``
    modules it held before.

    The package itself is replaced too: a fresh submodule is also set as an attribute of its
    package, so purging only ``pipelines.*`` would leave ``pipelines.sensors`` (what
    ``monkeypatch.setattr("pipelines.sensors._now", ...)`` resolves) pointing at a module that the
    collected ``defs`` do not use. And every module the fresh import or the test pulled in for the
    first time is dropped at the end: left behind, a later test importing it lazily would get
    Definitions built from this test's config (its orgs), not the process's.
    """

    def ours() -> dict[str, types.ModuleType]:
        return {
            name: module
            for name, module in sys.modules.items()
            if name == "pipelines" or name.startswith("pipelines.")
        }

    before = ours()

    def load() -> types.ModuleType:
        for name in ours():
            del sys.modules[name]
        importlib.import_module("pipelines.cli")
        return sys.modules["pipelines"]

    try:
        yield load
    finally:
        for name in ours():
            del sys.modules[name]
        sys.modules.update(before)


def point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("WXCC_API_URL", url)
    monkeypatch.setenv("WXCC_IDENTITY_URL", url)
