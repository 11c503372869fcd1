"""Simulated days on disk: keyed by seed, volume and code; a damaged file is simulated again."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sandbox import daystore
from sandbox.cli import _cache_dir
from sandbox.model import Tenant

DAY = 20_400  # an org-local day (days since 1970-01-01)


def _tasks(t: Tenant) -> list[tuple[str, int, int]]:
    return [(p.id, p.created, p.end) for p in t.day(DAY).tasks]


def test_a_day_is_written_once_and_read_by_another_tenant(tmp_path: Path) -> None:
    first = Tenant(5, 300, cache_dir=tmp_path)
    expected = _tasks(first)
    assert first.day_store is not None and first.day_store.saved == 1
    files = list(tmp_path.glob("*/seed5-tasks300/*.pickle"))
    assert [f.name for f in files] == [f"{DAY}.pickle"]
    assert files[0].parent.parent.name == daystore.code_digest()
    second = Tenant(5, 300, cache_dir=tmp_path)
    assert _tasks(second) == expected
    assert second.day_store is not None
    assert (second.day_store.loaded, second.day_store.saved) == (1, 0)
    other_volume = Tenant(5, 301, cache_dir=tmp_path)
    other_volume.day(DAY)
    assert other_volume.day_store is not None and other_volume.day_store.loaded == 0


def test_a_damaged_day_is_simulated_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The warning is asserted whatever logging setup an earlier test in this process left behind
    # (the full suite, shuffled, once ran this with the logger muted: caplog.text was empty).
    caplog.set_level(logging.WARNING, logger=daystore.log.name)
    monkeypatch.setattr(daystore.log, "disabled", False)
    expected = _tasks(Tenant(5, 300, cache_dir=tmp_path))
    (path,) = tmp_path.glob("*/*/*.pickle")
    path.write_bytes(path.read_bytes()[:1000])  # torn
    again = Tenant(5, 300, cache_dir=tmp_path)
    assert _tasks(again) == expected
    assert again.day_store is not None
    assert (again.day_store.loaded, again.day_store.saved) == (0, 1)
    assert "ignoring unreadable cached day" in caplog.text


def test_the_folder_is_kept_under_its_size(tmp_path: Path) -> None:
    t = Tenant(5, 300, cache_dir=tmp_path)
    assert t.day_store is not None
    t.day(DAY)
    one = next(tmp_path.glob("*/*/*.pickle")).stat().st_size
    t.day_store.max_bytes = one + one // 2  # room for one day
    t.day(DAY + 1)
    assert [p.name for p in tmp_path.glob("*/*/*.pickle")] == [f"{DAY + 1}.pickle"]


def test_cache_dir_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(daystore.ENV_DIR, str(tmp_path / "env"))
    assert _cache_dir(None) == tmp_path / "env"
    assert _cache_dir("off") is None
    assert _cache_dir(str(tmp_path / "given")) == tmp_path / "given"
    monkeypatch.delenv(daystore.ENV_DIR)
    assert _cache_dir(None).name == "wxcc-sandbox"  # the user's cache directory
