"""The ground truth stays what it was before issue 15's speed work, whatever the cache state.

The digests below were taken from the truth code as it stood before that work (main at
``9a655e8``): per file, the row count and a SHA-256 over the schema (field metadata included)
and every row in order. Faster truth code must give the same files' content: same schemas,
rows, values and order, for every family, sequential or split over worker processes, cold,
warm from memory and warm from disk.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sandbox.model import Tenant
from sandbox.truth import FAMILIES, write_truth

SEED, TASKS_PER_DAY = 3, 300
TO = 1_795_132_800_000  # 2026-11-20T00:00:00Z
FROM = TO - 2 * 86_400_000  # two UTC days, as the benchmarks take them
MID = TO - 9 * 3_600_000  # 2026-11-19T15:00Z: open tasks and sessions, later ones not yet there

BEFORE_MID = {
    "legacy.aar": (2501, "e4dbe57969d786ebc6cb7f7a41d75bdb"),
    "legacy.asr": (38, "f0cf88f09b359dc85e51ebfa0226c246"),
    "legacy.car": (3927, "e84e0b9156cffdd21f0d538d1f955325"),
    "legacy.csr": (429, "40ef2469a6fab029422f1d78c58c2f1b"),
    "reporting.agent_activities": (2389, "1df27eaf95cecbd63b590f8024bc806c"),
    "reporting.agent_statistics": (1260, "c41aa05c7fc21f02136a10b3166ade17"),
    "reporting.captures": (198, "7aeff3964980eb949248fede46b434d7"),
    "reporting.queue_statistics": (312, "adb6938711fff733a34abcc448aa0b82"),
    "reporting.tasks": (429, "8b71305e4f531cb5afc15a6b2c998b5d"),
    "search.agent_activity": (2351, "4df035d2e5451a7bf8e2a491f51650e2"),
    "search.agent_session": (38, "265549b90976f1ae76b3ca1d9ba37bb8"),
    "search.agent_session_channel": (152, "e18846f1b360eeadab8fa08a33e5e35b"),
    "search.task": (429, "3580715a7fb5e9728ba7efb911191f3b"),
    "search.task_activity": (3923, "15ac0f36a73105ac72a7b4d6ef6ef0ae"),
    "search.task_details": (429, "8c8780b1b47ec2c9e533e12ce5131f46"),
    "search.task_leg_details": (437, "37e1742bcf80813dbf26c29d5dfe8bf3"),
    "search.task_variable": (2231, "ab263389f86875ccb0aec6c188152c3e"),
    "wfo.agent_interval_productivity": (1976, "4f625fe399039ebea5cc30f08d2e5988"),
    "wfo.evaluation_scores": (40, "931774f7ff4ba6a937037196868ac7f8"),
    "wfo.groups": (6, "224abcec4e4e0a08c9be78bcb8f639b2"),
    "wfo.persons": (56, "a6c10d6be91726a05743544244a1c47d"),
    "wfo.schedule_adherence": (38, "73db361a3008aed9d343bc3c222f13ba"),
    "wfo.teams": (12, "d021f3a0bd0475770c5ba96fc4f3f664"),
}
BEFORE_END = {
    "legacy.aar": (3904, "b733d903ed6ce3be8e19dc90389fc447"),
    "legacy.asr": (44, "e077ccb68b0411d09afe57a94ba6898b"),
    "legacy.car": (6049, "770a021bce6f19977e531a1d735cb64f"),
    "legacy.csr": (639, "80e6ee443c8d88c9f9c275794046659d"),
    "reporting.agent_activities": (3728, "76de7dee03760192f9c9e2eb33e3d764"),
    "reporting.agent_statistics": (2030, "984d7b8e07a0d097391763e48765ba92"),
    "reporting.captures": (314, "a9d568ec9cfc014da8a66303c972d647"),
    "reporting.queue_statistics": (496, "a06557361091e7a66712fa4e229165a0"),
    "reporting.tasks": (639, "29f5ace7bea22b226283e5afe24e56d4"),
    "search.agent_activity": (3754, "cd72e79678cbd25bb8e7d53684382fee"),
    "search.agent_session": (44, "9001619802ac84b78e5352564f114695"),
    "search.agent_session_channel": (176, "d851d082ce11cef07c0ff96baee89021"),
    "search.task": (639, "57ce1e4f8678efff56f8ef990502a937"),
    "search.task_activity": (6045, "bc095ba9566467d12dd177bf88cbbe29"),
    "search.task_details": (639, "fb53922c508187774e87ab34f2e1d3ea"),
    "search.task_leg_details": (654, "994e710539c3f46b577cf1995457f1eb"),
    "search.task_variable": (3379, "7698ba10fb00244b1720b07c240937af"),
    "wfo.agent_interval_productivity": (3188, "f43da281d3cbecb0d2b312e2c62a918e"),
    "wfo.evaluation_scores": (66, "be47fd419dd95946e7d14bc86dbb4717"),
    "wfo.groups": (6, "224abcec4e4e0a08c9be78bcb8f639b2"),
    "wfo.persons": (56, "a6c10d6be91726a05743544244a1c47d"),
    "wfo.schedule_adherence": (44, "bb70a655b48a2a788392cd147d6de9c4"),
    "wfo.teams": (12, "d021f3a0bd0475770c5ba96fc4f3f664"),
}


def _digests(out: Path) -> dict[str, tuple[int, str]]:
    """Per file: rows, and a digest of the schema (with field metadata) and the rows in order."""
    found = {}
    for path in sorted(out.glob("*.parquet")):
        table = pq.read_table(path)
        text = table.schema.to_string(show_field_metadata=True, show_schema_metadata=True)
        digest = hashlib.sha256(text.encode())
        for row in table.to_pylist():
            digest.update(json.dumps(row, default=repr).encode())
        found[path.stem] = (table.num_rows, digest.hexdigest()[:32])
    return found


@pytest.mark.parametrize(
    ("now_ms", "workers", "before"),
    [(MID, 1, BEFORE_MID), (MID, 2, BEFORE_MID), (TO, 1, BEFORE_END)],
    ids=["mid-window", "mid-window-2-workers", "window-over"],
)
def test_truth_is_what_it_was(
    tmp_path: Path, now_ms: int, workers: int, before: dict[str, tuple[int, str]]
) -> None:
    paths = write_truth(
        tmp_path,
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=now_ms,
        from_ms=FROM,
        to_ms=TO,
        workers=workers,
    )
    assert paths[0] == tmp_path / "search.task_details.parquet"
    assert sorted(p.stem for p in paths) == sorted(before)
    assert _digests(tmp_path) == before
    assert not list(tmp_path.glob("*.tmp"))


def test_truth_is_the_same_cold_warm_and_from_disk(tmp_path: Path) -> None:
    days = tmp_path / "days"
    args = {"seed": SEED, "tasks_per_day": TASKS_PER_DAY, "now_ms": TO, "from_ms": FROM}
    write_truth(tmp_path / "cold", **args, to_ms=TO, cache_dir=days)  # simulates, stores days
    assert list(days.rglob("*.pickle"))
    write_truth(tmp_path / "disk", **args, to_ms=TO, cache_dir=days, workers=2)
    warm = Tenant(SEED, TASKS_PER_DAY)
    write_truth(tmp_path / "warm", **args, to_ms=TO, tenant=warm)
    write_truth(tmp_path / "warm", **args, to_ms=TO, tenant=warm)  # every day already kept
    for name in ("cold", "disk", "warm"):
        assert _digests(tmp_path / name) == BEFORE_END, name


@pytest.mark.parametrize(
    "families", [("legacy", "reporting"), ("search", "legacy")], ids=["without-search", "two"]
)
def test_some_families_are_what_they_were(tmp_path: Path, families: tuple[str, ...]) -> None:
    # With Search written, its pass over the tasks also writes legacy.csr and reporting.tasks;
    # without it, those families write them on their own.
    paths = write_truth(
        tmp_path,
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=TO,
        from_ms=FROM,
        to_ms=TO,
        families=families,
    )
    want = {name: d for name, d in BEFORE_END.items() if name.partition(".")[0] in families}
    written = [p.stem.partition(".")[0] for p in paths]
    assert written == sorted(written, key=FAMILIES.index)  # family by family, as before
    assert _digests(tmp_path) == want
