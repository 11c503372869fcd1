"""Fixtures shared by the pipeline and end-to-end tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Pipeline, make_pipeline


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """Environment for one load under tmp_path; tests point WXCC_API_URL at their sandbox."""
    yield from make_pipeline(tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def _fresh_request_state() -> Iterator[None]:
    """A Ctrl-C stop or an unreachable host remembered by one test must not leak into others."""
    from pipelines.sources.http import resume_requests

    resume_requests()
    yield
    resume_requests()
