"""Ground truth of the legacy.* tables, built from the legacy records of the data model.

For ``[from, to)`` at ``now``: ``legacy.csr`` holds the CSRs of the tasks created in the window,
``legacy.car`` the CARs of the task activities started in it, ``legacy.asr`` the ASRs of the
agent sessions started in it, ``legacy.aar`` the AARs of the agent activities started in it
(``sandbox.legacy.records``). Columns are read by each column's ``api_path`` and typed straight
to the table's Arrow schema here; nothing is shared with the HTTP rendering (JSON/CSV) or with the
pipeline's client and normalizer, so a mistake in either shows up as a difference. ``legacy.car``
is read from the simulation's task activities directly (``_car_batch``), not from the CAR
records the HTTP app serves, and ``legacy.aar`` from the agents' state spans (``_aar_batch``),
so they check those records too.
"""

from __future__ import annotations

from operator import itemgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.entities import CHANNELS
from sandbox.legacy.records import DAY_MS, PARENT_LOOKBACK_MS, csr_of, records
from sandbox.model import STATUS_OF_KIND
from sandbox.records import channel_spans
from sandbox.timeline import INSTANT
from sandbox.truth_file import TruthFile
from warehouse.schemas import Table
from warehouse.schemas_legacy import AAR, CAR, CSR, RECORD_PATHS, TABLES

_BATCH_ROWS = 5_000  # rows per row group of a file written record by record


def _batch(table: Table, org_id: str, rows: list[dict[str, Any]]) -> pa.RecordBatch:
    # One Arrow conversion of the row dicts to a struct of the table's columns (C++), then its
    # members by position: reading each member in Python was a fifth of the legacy truth.
    fields = list(table.arrow)[1:]
    struct = pa.struct([(c.api_path, f.type) for c, f in zip(table.columns, fields, strict=True)])
    members = pa.array(rows, struct).flatten() if rows else [pa.array([], f.type) for f in fields]
    arrays = [pa.array([org_id] * len(rows), pa.string()), *members]
    return pa.RecordBatch.from_arrays(arrays, schema=table.arrow)


def _car_batch(tenant: Any, org_id: str, start_ms: int, end_ms: int, now_ms: int) -> pa.RecordBatch:
    """``legacy.car`` of ``[start_ms, end_ms)``, read from the simulation's task activities.

    A CAR is one activity of a task (``sandbox.timeline.Act``) as of ``now``: rendering each
    task's every CAR node (47 members) to copy 17 of them was most of the legacy truth. Built
    as rows of the table's columns in order (``CAR_FIELDS``), sorted by start then id as the
    record API lists them.
    """
    hi = min(end_ms, now_ms)
    rows: list[tuple[Any, ...]] = []
    add = rows.append
    # Tasks live at most a day: an activity of the window belongs to a task created at most a
    # day before it.
    for task in tenant.task_plans(start_ms - PARENT_LOOKBACK_MS, end_ms, now_ms):
        if task.end < start_ms:
            continue  # its every activity started before the window
        tid, channel, ep_id = task.id, task.channel, task.ep.id
        ended_state = "wrapup" if task.wrap_code is not None else "ended"
        state: str | None = None
        for a in task.acts:
            at = a.start
            if at >= now_ms:
                break
            before, kind, info = state, a.kind, a.info
            activity = reason = None
            if kind == INSTANT:
                ev = a.event
                ended, duration = at, 0
                if ev == "flow-activity":
                    activity = info["activityName"]  # type: ignore[index]
                elif ev == "ended":
                    state = ended_state
                    reason = info["reason"]  # type: ignore[index]
                elif ev == "new":
                    state = "created"
            else:
                a_end = a.end
                # An activity still going on at now has no end yet.
                ended, duration = (a_end, a_end - at) if a_end < now_ms else (None, now_ms - at)
                state = STATUS_OF_KIND[kind]
            if at < start_ms or at >= hi:
                continue
            s, q = a.staff, a.queue
            add(
                (
                    f"{tid}-{at}-{a.suffix}",
                    tid,
                    at,
                    ended,
                    a.event,
                    before,
                    state,
                    channel,
                    None if s is None else s.agent.id,
                    None if s is None else s.agent.name,
                    None if s is None else s.session_id,
                    None if q is None else q.id,
                    None if q is None else q.name,
                    ep_id,
                    activity,
                    reason,
                    duration,
                )
            )
    rows.sort(key=itemgetter(2, 0))
    return _rows_batch(CAR, org_id, rows)


def _aar_batch(tenant: Any, org_id: str, start_ms: int, end_ms: int, now_ms: int) -> pa.RecordBatch:
    """``legacy.aar`` of ``[start_ms, end_ms)``, read from the agents' state spans.

    An AAR is one state of an agent on one channel (``sandbox.records.channel_spans``), as of
    ``now``, plus a ``logged-out`` record when the session has ended: rendering every session
    with its AAR nodes to copy 15 of their members was most of the rest of the legacy truth.
    Rows in the table's column order, sorted by start then id as the record API lists them.
    """
    index = tenant.record_index(
        "agent_sessions_records", start_ms - PARENT_LOOKBACK_MS, end_ms, now_ms
    )
    rows: list[tuple[Any, ...]] = []
    add = rows.append
    for _plan, s in index.refs:
        if s.start >= end_ms or s.end < start_ms:
            continue  # a session holds activities of the window only if it overlaps it
        sid, agent_id, end = s.session_id, s.agent.id, s.end
        for ch in CHANNELS:
            cid = s.channel_ids[ch]
            prefix = f"{cid}-{ch}-"
            prev_state = prev_task = None
            for a0, a1, state, task_id, queue, idle, wrap, outdial in channel_spans(s, ch):
                if a0 >= now_ms:
                    break
                shown = state
                # Back from hold or a consult on the same task: the API names the return.
                if state == "connected" and task_id == prev_task:
                    if prev_state == "on-hold":
                        shown = "hold-done"
                    elif prev_state == "consulting":
                        shown = "consult-done"
                elif state == "ringing" and outdial:
                    shown = "outdial-reserved"
                prev_state, prev_task = state, task_id
                if not start_ms <= a0 < end_ms:
                    continue
                current = a1 >= now_ms
                add(
                    (
                        f"{prefix}{a0}-{shown}",
                        sid,
                        a0,
                        None if current else a1,
                        agent_id,
                        cid,
                        ch,
                        shown,
                        idle.name if shown == "idle" and idle is not None else None,
                        wrap.name if shown == "wrapup" and wrap is not None else None,
                        task_id,
                        None if queue is None else queue.id,
                        None if queue is None else queue.name,
                        outdial,
                        (now_ms if current else a1) - a0,
                    )
                )
            if end < now_ms and start_ms <= end < end_ms:  # the session's end: logged out
                add(
                    (
                        f"{prefix}{end}-logged-out",
                        sid,
                        end,
                        end,
                        agent_id,
                        cid,
                        ch,
                        "logged-out",
                        None,
                        None,
                        None,
                        None,
                        None,
                        False,
                        0,
                    )
                )
    rows.sort(key=itemgetter(2, 0))
    return _rows_batch(AAR, org_id, rows)


def _rows_batch(table: Table, org_id: str, rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
    """Rows of the table's columns (after ``org_id``), in order, as one batch."""
    fields = list(table.arrow)[1:]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    arrays = [pa.array([org_id] * len(rows), pa.string())]
    arrays += [pa.array(c, f.type) for c, f in zip(columns, fields, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=table.arrow)


class CsrWriter(TruthFile):
    """``legacy.csr`` from the window's task records, given in order (``Tenant.tasks``: by
    created time, then id: the CSRs' own order), so a pass over the tasks rendered for another
    family's tables writes it too instead of rendering every task again."""

    def __init__(self, out: Path, org_id: str) -> None:
        super().__init__(out, CSR)
        self.org_id = org_id
        self.rows: list[dict[str, Any]] = []

    def add(self, task: dict[str, Any]) -> None:
        self.rows.append(csr_of(task))
        if len(self.rows) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if rows:
            self.writer.write_batch(_batch(CSR, self.org_id, rows))


def write_truth(
    out: Path,
    tenant: Any,
    *,
    now_ms: int,
    from_ms: int,
    to_ms: int,
    config: dict[str, Any],
    with_csr: bool = True,
) -> list[Path]:
    """Write ``legacy.<table>.parquet`` for each legacy table; return the paths.

    ``with_csr`` False: not ``legacy.csr`` (a ``CsrWriter`` fed elsewhere writes it).
    """
    paths = []
    for table in TABLES:
        if table is CSR and not with_csr:
            continue
        path = out / f"{table.qualified_name}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        # No min/max statistics: nothing prunes by them, and they were a third of writing a file.
        with pq.ParquetWriter(tmp, table.arrow, write_statistics=False) as writer:
            start = from_ms
            while start < to_ms:  # a day at a time keeps memory flat over long windows
                end = min(to_ms, start + DAY_MS)
                if table is CAR:
                    writer.write_batch(_car_batch(tenant, tenant.org_id, start, end, now_ms))
                elif table is AAR:
                    writer.write_batch(_aar_batch(tenant, tenant.org_id, start, end, now_ms))
                else:
                    rows = records(RECORD_PATHS[table.qualified_name], tenant, start, end, now_ms)
                    writer.write_batch(_batch(table, tenant.org_id, rows))
                start = end
        tmp.replace(path)
        paths.append(path)
    return paths
