"""Test support: a sandbox tenant in a background thread and a pipeline environment."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from pipelines.sources.auth import TokenProvider
from sandbox.auth import BOOTSTRAP_REFRESH_TOKEN, CLIENT_ID, CLIENT_SECRET
from sandbox.server import base_url, bind, build_app, serve_in_background, uvicorn_server

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


def sandbox_tokens(url: str, state_dir: Path, **options: object) -> TokenProvider:
    """A token provider with the sandbox's own credentials (``sandbox.auth``), keeping its
    state in ``state_dir``; ``options`` (a clock, say) go to :class:`TokenProvider`."""
    return TokenProvider(
        identity_url=url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=BOOTSTRAP_REFRESH_TOKEN,
        state_dir=state_dir,
        **options,  # type: ignore[arg-type]
    )


@contextmanager
def sandbox(now: str, **kwargs: object) -> Iterator[str]:
    options = {"seed": SEED, "tasks_per_day": TASKS_PER_DAY, "budget_per_minute": 0, **kwargs}
    with serve_in_background(now_ms=ms(now), **options) as url:
        yield url


class SearchGate:
    """Holds a sandbox's Search requests from the ``after`` + 1-th on until :meth:`open`: a load
    against it is caught with windows in flight at a moment a test knows (``held`` is set once a
    request waits), however fast or slow the machine is. Install with :meth:`middleware`."""

    def __init__(self, after: int = 0) -> None:
        self.after = after
        self.seen = 0
        self.held = threading.Event()  # a request waits at the gate
        self.opened = threading.Event()
        self._lock = threading.Lock()

    def open(self) -> None:
        self.opened.set()

    def middleware(self, app: Callable) -> Callable:
        async def gated(scope: dict, receive: Callable, send: Callable) -> None:
            if scope["type"] != "http" or scope["path"] != "/search":
                await app(scope, receive, send)
                return
            with self._lock:
                self.seen += 1
                holds = self.seen > self.after
            # The request is read before it waits: a client gone meanwhile is then the app's
            # usual disconnect when it answers, not an error reading a body.
            messages = [await receive()]
            while messages[-1].get("more_body"):
                messages.append(await receive())
            while holds and not self.opened.is_set():
                self.held.set()
                await asyncio.sleep(0.01)  # on the server's loop: a thread's wait would block it

            async def replay() -> dict:
                return messages.pop(0) if messages else await receive()

            await app(scope, replay, send)

        return gated


@contextmanager
def gated_sandbox(
    now: str, *, after: int = 0, **kwargs: object
) -> Iterator[tuple[str, SearchGate]]:
    """:func:`sandbox` with a :class:`SearchGate` in front: its URL and the gate, opened when the
    block ends (so the server can stop)."""
    options = {"seed": SEED, "tasks_per_day": TASKS_PER_DAY, "budget_per_minute": 0, **kwargs}
    app = build_app(now_ms=ms(now), **options)
    gate = SearchGate(after)
    app.add_middleware(gate.middleware)
    sock = bind(0)
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.01)
    try:
        yield base_url(sock), gate
    finally:
        gate.open()
        server.should_exit = True
        thread.join(15)
        sock.close()


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
