"""Fixtures shared by the pipeline and end-to-end tests."""

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests import support
from tests.support import Pipeline, make_pipeline


def pytest_configure(config: pytest.Config) -> None:
    """Tests run with Ctrl-C as a terminal's job has it. A run started as a background job
    inherits SIGINT ignored; an in-process Dagster run then points SIGTERM at that too, and
    every process a test starts inherits both (Dagster's `tail` then outlived its run)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """Environment for one load under tmp_path; tests point WXCC_API_URL at their sandbox."""
    yield from make_pipeline(tmp_path, monkeypatch)


@pytest.fixture
def fresh_pipelines() -> Iterator[Callable[[], ModuleType]]:
    """Call it to import ``pipelines`` afresh under the test's settings (see support)."""
    with support.fresh_pipelines() as load:
        yield load


@pytest.fixture(autouse=True)
def _fresh_request_state() -> Iterator[None]:
    """A Ctrl-C stop, an unreachable host or lanes started ahead, left by one test, must not
    leak into others."""
    from pipelines import prestart
    from pipelines.sources.http import resume_requests

    resume_requests()
    yield
    resume_requests()
    # A load that ended with lane processes still started ahead left them for the next load of
    # this process, whose lanes then ran with this test's configuration (a CI failure, stop 30).
    left = list(prestart._started)
    if left:
        prestart.release()
        pytest.fail(f"the test left {len(left)} lane process(es) started ahead of a load")


@pytest.fixture(autouse=True, scope="session")
def _sandbox_days_under_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``wxcc-sandbox`` processes the tests start keep simulated days in one folder of the
    session's temporary tree (shared: a later test's sandbox starts warm), not in the user's
    cache directory."""
    from sandbox.daystore import ENV_DIR

    before = os.environ.get(ENV_DIR)
    os.environ[ENV_DIR] = str(tmp_path_factory.mktemp("sandbox-days"))
    yield
    if before is None:
        os.environ.pop(ENV_DIR, None)
    else:
        os.environ[ENV_DIR] = before
