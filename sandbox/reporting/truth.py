"""Ground truth of the reporting.* tables, from the family's view of the data model.

Rows are built from ``sandbox.reporting.model`` objects column by column; nothing of the HTTP
app's JSON rendering or paging is used, so a mistake there (or in the pipeline's client and
normalizer) shows up as a difference. What each table holds for ``[from, to)`` at ``now``:

- ``reporting.tasks``: tasks created in the window before ``now``;
- ``reporting.queue_statistics`` / ``reporting.agent_statistics``: the 15-minute intervals
  starting in the window (one row per queue, or per agent and channel, with something to report);
- ``reporting.agent_activities``: agent states started in the window (an open one: no end time);
- ``reporting.captures``: the recordings of the window's tasks that requested capture. A
  pre-signed URL and its expiry depend on when it was asked for, so ``attributes_file_path``
  and ``url_expires_at`` are NULL here; a comparison leaves those two columns out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from sandbox.reporting import model
from sandbox.truth_file import TruthFile
from warehouse.schemas import Table
from warehouse.schemas_reporting import (
    AGENT_ACTIVITIES,
    AGENT_STATISTICS,
    CAPTURES,
    QUEUE_STATISTICS,
    TASKS,
)

DAY_MS = 86_400_000
_BATCH_ROWS = 5_000
Row = dict[str, Any]


class _RowsWriter(TruthFile):
    """Rows (dicts by column name) of one table, typed to its Arrow schema, in row groups."""

    def __init__(self, out: Path, table: Table, org_id: str) -> None:
        super().__init__(out, table)
        self.table, self.org_id = table, org_id
        self.names = [c.name for c in table.columns]
        self.kinds = {c.name: c.kind for c in table.columns}
        self.batch: list[Row] = []

    def add(self, row: Row) -> None:
        self.batch.append(row)
        if len(self.batch) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        names, table = self.names, self.table
        arrays = [pa.array([self.org_id] * len(batch), pa.string())]
        # Rows built by one dict literal in the columns' order are transposed at once
        # (``zip``) instead of read a column at a time (a fifth of the family's time).
        key_order = tuple(names)
        columns = (
            dict(zip(names, zip(*[tuple(r.values()) for r in batch], strict=True), strict=True))
            if all(tuple(r) == key_order for r in batch)
            else {name: [r[name] for r in batch] for name in names}
        )
        for name, f in zip(names, list(table.arrow)[1:], strict=True):
            values = list(columns[name])
            if self.kinds[name] == "json":
                values = [
                    None if v is None else json.dumps(v, separators=(",", ":"), sort_keys=True)
                    for v in values
                ]
            arrays.append(pa.array(values, f.type))
        self.writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=table.arrow))


def _write(out: Path, table: Table, org_id: str, rows: Iterable[Row]) -> Path:
    writer = _RowsWriter(out, table, org_id)
    try:
        for row in rows:
            writer.add(row)
    except BaseException:
        writer.discard()
        raise
    return writer.close()


class TasksWriter:
    """``reporting.tasks`` from the window's CSR records, given in order (``Tenant.tasks``),
    so a pass over the tasks rendered for another family's tables writes it too."""

    def __init__(self, out: Path, org_id: str) -> None:
        self.rows = _RowsWriter(out, TASKS, org_id)

    def add(self, csr: dict[str, Any]) -> None:
        self.rows.add(_task_row(model.task_view(csr)))

    def close(self) -> Path:
        return self.rows.close()

    def discard(self) -> None:
        self.rows.discard()


def _days(from_ms: int, to_ms: int) -> Iterator[tuple[int, int]]:
    """The window cut at UTC midnights (keeps each step's model objects to one day)."""
    start = from_ms
    while start < to_ms:
        end = min(to_ms, (start // DAY_MS + 1) * DAY_MS)
        yield start, end
        start = end


def _tasks(tenant: Any, now_ms: int, from_ms: int, to_ms: int) -> Iterator[Row]:
    return map(_task_row, model.tasks(tenant, from_ms, to_ms, now_ms))


def _task_row(t: model.TaskView) -> Row:
    return {
        "id": t.id,
        "attributes_owner_id": t.owner_id,
        "attributes_owner_name": t.owner_name,
        "attributes_queue_id": t.queue_id,
        "attributes_queue_name": t.queue_name,
        "attributes_channel_type": t.channel_type,
        "attributes_status": t.status,
        "attributes_created_time": t.created_time,
        "attributes_last_updated_time": t.last_updated_time,
        "attributes_capture_requested": t.capture_requested,
        "attributes_origin": t.origin,
        "attributes_destination": t.destination,
        "attributes_direction": t.direction,
        "attributes_reason_code": t.reason_code,
    }


def _queue_statistics(tenant: Any, now_ms: int, from_ms: int, to_ms: int) -> Iterator[Row]:
    for lo, hi in _days(from_ms, to_ms):
        for s in model.queue_statistics(tenant, lo, hi, now_ms):
            yield {
                "interval_start_time": s.interval_start_time,
                "queue_id": s.queue_id,
                "queue_name": s.queue_name,
                "channel_type": s.channel_type,
                "total_offered_tasks": s.total_offered_tasks,
                "total_enqueued_tasks": s.total_enqueued_tasks,
                "total_assigned_tasks": s.total_assigned_tasks,
                "total_accepted_tasks": s.total_accepted_tasks,
                "total_rejected_tasks": s.total_rejected_tasks,
                "total_abandoned_tasks": s.total_abandoned_tasks,
                "average_enqueued_time": s.average_enqueued_time,
                "average_handled_time": s.average_handled_time,
                "service_level_threshold_percentage": s.service_level_threshold_percentage,
            }


def _agent_statistics(tenant: Any, now_ms: int, from_ms: int, to_ms: int) -> Iterator[Row]:
    for lo, hi in _days(from_ms, to_ms):
        for s in model.agent_statistics(tenant, lo, hi, now_ms):
            for c in s.channels:
                yield {
                    "interval_start_time": s.interval_start_time,
                    "agent_id": s.agent_id,
                    "agent_name": s.agent_name,
                    "team_id": s.team_id,
                    "team_name": s.team_name,
                    "channel_type": c.channel_type,
                    "total_assigned_tasks": c.total_assigned_tasks,
                    "total_offered_tasks": c.total_offered_tasks,
                    "total_accepted_tasks": c.total_accepted_tasks,
                    "total_rejected_tasks": c.total_rejected_tasks,
                    "total_transferred_tasks": c.total_transferred_tasks,
                    "total_engaged_duration": c.total_engaged_duration,
                    "total_hold_duration": c.total_hold_duration,
                    "total_wrap_up_duration": c.total_wrap_up_duration,
                    "total_available_time": c.total_available_time,
                    "total_un_available_time": c.total_un_available_time,
                    "average_handled_time": c.average_handled_time,
                }


def _agent_activities(tenant: Any, now_ms: int, from_ms: int, to_ms: int) -> Iterator[Row]:
    ents = tenant.entities
    teams = {t.id: t for t in ents.teams}
    sites = {s.id: s for s in ents.sites}
    for lo, hi in _days(from_ms, to_ms):
        for a in model.activities(tenant, lo, hi, now_ms):
            agent = a.agent
            yield {
                "agent_session_id": a.session_id,
                "channel_id": a.channel_id,
                "start_time": a.start_time,
                "end_time": a.end_time,
                "active": a.end_time is None,
                "agent_id": agent.id,
                "agent_dn": agent.phone_number,
                "agent_login": agent.sign_in_id,
                "agent_name": agent.name,
                "current_state": a.state,
                "site_id": agent.site_id,
                "site_name": sites[agent.site_id].name,
                "team_id": agent.team_id,
                "team_name": teams[agent.team_id].name,
                "is_login": int(a.is_login),
                "task_id": a.task_id,
                "channel_type": a.channel_type,
                "sub_channel_type": None,
                "idle_code_name": a.idle_code_name,
                "idle_code": a.idle_code_id,
                "queue_id": a.queue_id,
                "queue_name": a.queue_name,
                "wrapup_code_name": a.wrapup_code_name,
                "reason": None,
                "mm_profile_type": "exclusive" if agent.channels[0] == "telephony" else "blended",
            }


def _captures(tenant: Any, now_ms: int, from_ms: int, to_ms: int) -> Iterator[Row]:
    for plan in model.capture_tasks(tenant, from_ms, to_ms, now_ms):
        for r in model.recordings_of(plan, now_ms):
            yield {
                "task_id": r.task_id,
                "id": r.id,
                "task_created_time": plan.created,
                "segment": False,
                "attributes_file_name": r.file_name,
                "attributes_start_time": r.start_time,
                "attributes_stop_time": r.stop_time,
                "attributes_participants": list(r.participants),
                "attributes_channel1": r.channel1,
                "attributes_channel2": r.channel2,
                "attributes_call_type": r.call_type,
                "attributes_sensitive": False,
                "attributes_file_path": None,  # depends on when it is asked for
                "url_expires_at": None,
            }


_WRITERS = (
    (TASKS, _tasks),
    (QUEUE_STATISTICS, _queue_statistics),
    (AGENT_STATISTICS, _agent_statistics),
    (AGENT_ACTIVITIES, _agent_activities),
    (CAPTURES, _captures),
)


def write_truth(
    out: Path,
    tenant: Any,
    *,
    now_ms: int,
    from_ms: int,
    to_ms: int,
    config: dict[str, Any],
    with_tasks: bool = True,
) -> list[Path]:
    """Write ``<schema>.<table>.parquet`` for each of the family's tables; return the paths.

    ``with_tasks`` False: not ``reporting.tasks`` (a ``TasksWriter`` fed elsewhere writes it).
    """
    return [
        _write(out, table, tenant.org_id, rows(tenant, now_ms, from_ms, to_ms))
        for table, rows in _WRITERS
        if with_tasks or table is not TASKS
    ]
