"""Simulated days on disk: keyed by seed, volume and code; a damaged file is simulated again."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sandbox import daystore
from sandbox.cli import _cache_dir
from sandbox.model import Tenant
from sandbox.timeline import Act, DayPlan, Staff, TaskPlan

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


def _members(obj: object, staff_index: dict[int, int]) -> object:
    """A day's object as plain values: agents by their index, entities by their id."""
    if isinstance(obj, list | tuple):
        return [_members(x, staff_index) for x in obj]
    if isinstance(obj, dict):
        return {k: _members(v, staff_index) for k, v in obj.items()}
    if isinstance(obj, Staff):
        return ("staff", staff_index[id(obj)])
    if isinstance(obj, Act):
        return [_members(getattr(obj, n), staff_index) for n in Act.__slots__]
    if hasattr(obj, "id") and not isinstance(obj, str | int):
        return (type(obj).__name__, obj.id)
    return obj


def test_a_day_read_back_is_the_day_simulated(tmp_path: Path) -> None:
    """Every member of every task, act and agent, written as the day's columns and read back;
    the agents the acts name are the day's own objects, the entities the reading tenant's."""
    writer = Tenant(9, 400, cache_dir=tmp_path)
    simulated = writer.day(DAY)
    reader = Tenant(9, 400, cache_dir=tmp_path)
    read = reader.day(DAY)
    assert reader.day_store is not None and reader.day_store.loaded == 1
    assert read is not simulated and len(read.tasks) == len(simulated.tasks) > 200

    def plain(plan: DayPlan) -> list[object]:
        index = {id(s): s.idx for s in plan.staff}
        tasks = [[_members(getattr(t, n), index) for n in TaskPlan.__slots__] for t in plan.tasks]
        staff = [
            [_members(getattr(s, n), index) for n in Staff.__slots__ if n != "parts"]
            for s in plan.staff
        ]
        return [plan.day, plan.start, plan.end, plan.created, tasks, staff]

    assert plain(read) == plain(simulated)
    own = {id(s) for s in read.staff}
    assert all(a.staff is None or id(a.staff) in own for t in read.tasks for a in t.acts)
    assert all(t.ep is reader.entities.by_id[t.ep.id] for t in read.tasks)


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


def test_a_cache_folder_that_cannot_be_made_is_logged_and_the_day_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder under a file (ENOTDIR), as from WXCC_SANDBOX_CACHE_DIR: the cache is an
    optimization, the day is served from memory."""
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with caplog.at_level(logging.WARNING, logger="sandbox.daystore"):
        tenant = Tenant(5, 300, cache_dir=a_file / "days")
        assert _tasks(tenant)  # the day, simulated
    assert tenant.day_store is not None and tenant.day_store.saved == 0
    assert "cannot keep simulated day" in caplog.text
    assert a_file.read_text() == ""
