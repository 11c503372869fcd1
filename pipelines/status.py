"""``wxcc-warehouse status``: per source and org, what is complete, open, failed or missing.

Read from the extraction log's latest attempt per asset and window, checked against the files:
a window logged complete whose Parquet file is gone is a gap, not a complete window. Whatever the
pipeline left (a killed load's ``running`` rows, a failure before any window, an empty or missing
warehouse), this answers; it never raises for a state a load can leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from warehouse import ops
from warehouse.land import WarehousePaths

UNFINISHED = "unfinished: the load stopped before this window ended (a re-run resumes)"
MISSING_FILES = "its Parquet file is missing (lost from parquet/): a re-run loads it again"


@dataclass
class SourceStatus:
    """One source's windows for one org."""

    source: str
    org: str
    org_id: str
    complete: list[date] = field(default_factory=list)
    open: list[date] = field(default_factory=list)
    loading: list[date] = field(default_factory=list)  # a load running now holds them
    failed: dict[date, str] = field(default_factory=dict)  # day -> "asset: one-line error"
    gaps: list[date] = field(default_factory=list)  # never attempted, between loaded days

    @property
    def complete_through(self) -> date | None:
        """The end (exclusive) of the freshest complete day."""
        return max(self.complete) + timedelta(days=1) if self.complete else None

    def to_fill(self) -> str | None:
        """The command that loads again every open, failed and missing day."""
        pending = [*self.open, *self.failed, *self.gaps]
        if not pending:
            return None
        first, last = min(pending), max(pending) + timedelta(days=1)
        return (
            f"wxcc-warehouse load --source {self.source} --org {self.org} "
            f"--from {first} --to {last}"
        )


def source_statuses(paths: WarehousePaths, *, load_running: bool) -> list[SourceStatus]:
    """Per source and org, from the store's extraction log, checked against the files."""
    attempts = _attempts(paths)
    present = ops.present_windows(paths)
    by_key: dict[tuple[str, str], SourceStatus] = {}
    states: dict[tuple[str, str], dict[date, list[tuple[str, str, str | None]]]] = {}
    for a in attempts:
        source = a.asset.split(".", 1)[0]
        org = a.org or a.org_id
        key = (source, org)
        if key not in by_key:
            by_key[key] = SourceStatus(source, org, a.org_id)
            states[key] = {}
        status, error = a.status, a.error
        if status == "success" and not _file_present(present, a):
            status, error = "failure", MISSING_FILES
        states[key].setdefault(a.window_start.date(), []).append((a.asset, status, error))
    for key, days in states.items():
        report = by_key[key]
        for day, seen in sorted(days.items()):
            failures = [(asset, err) for asset, st, err in seen if st == "failure"]
            running = [asset for asset, st, _ in seen if st == "running"]
            if failures:
                asset, err = failures[0]
                report.failed[day] = f"{asset}: {_one_line(err)}"
            elif running and load_running:
                report.loading.append(day)
            elif running:
                report.failed[day] = f"{running[0]}: {UNFINISHED}"
            elif any(st == "open" for _, st, _ in seen):
                report.open.append(day)
            else:
                report.complete.append(day)
        if days:
            first, last = min(days), max(days)
            report.gaps = [
                first + timedelta(days=i)
                for i in range((last - first).days + 1)
                if first + timedelta(days=i) not in days
            ]
    return [by_key[k] for k in sorted(by_key)]


def _attempts(paths: WarehousePaths) -> list[ops.LatestAttempt]:
    """The store's log (readable while a load writes it: SQLite WAL readers never block)."""
    return ops.latest_attempts(paths)


def _file_present(present: set[tuple[str, str, int]], attempt: ops.LatestAttempt) -> bool:
    """Whether the store names a file of the window that is on disk."""
    return (attempt.asset, attempt.org_id, ops.epoch_ms(attempt.window_start)) in present


def _one_line(error: str | None) -> str:
    if not error:
        return "failed (no error recorded)"
    return error.strip().splitlines()[0][:300] if error.strip() else "failed"


def render(reports: list[SourceStatus], where: Path) -> list[str]:
    """The lines ``status`` prints."""
    if not reports:
        return [f"No extraction has been logged in {where} yet: run wxcc-warehouse load."]
    lines: list[str] = []
    for r in reports:
        through = r.complete_through
        lines.append(f"{r.source} (org {r.org}, org id {r.org_id}):")
        lines.append(
            f"  complete through {through.isoformat() if through else '-'} "
            f"({len(r.complete)} day(s) complete)"
        )
        if r.open:
            lines.append(f"  open (not settled; every plain load refreshes them): {_days(r.open)}")
        if r.loading:
            lines.append(f"  loading now: {_days(r.loading)}")
        for day, error in sorted(r.failed.items()):
            lines.append(f"  failed {day}: {error}")
        lines.append(f"  gaps: {_days(r.gaps) if r.gaps else 'none'}")
        command = r.to_fill()
        if command:
            lines.append(f"  to fill: {command}")
    return lines


def _days(days: list[date]) -> str:
    shown = ", ".join(d.isoformat() for d in sorted(days)[:10])
    return shown + (f" and {len(days) - 10} more" if len(days) > 10 else "")
