"""Ground truth: what a perfect pipeline must hold for a window once loaded at ``now``.

Computed from the data model directly. It deliberately shares no code with the HTTP app or the
pipeline's normalizers (``warehouse/normalize.py``): it flattens the model's records by each
column's ``api_path`` on its own, so a mistake there shows up as a difference from this file.
Only the table definitions (``warehouse.schemas``) are shared: they are the contract both meet.

One Parquet file per Search table, ``<schema>.<table>.parquet``:

- ``search.task_details`` / ``search.task``: tasks created in ``[from, to)`` before ``now``, as
  the ``taskDetails`` / older ``task`` query shows them at ``now``;
- ``search.task_activity``: every activity (CAR) of those tasks, as of ``now``;
- ``search.agent_session``, ``search.agent_session_channel``, ``search.agent_activity``: agent
  sessions that started in the window, their channels and every activity (AAR) of each channel;
- ``search.task_leg_details``: task legs (CLR) created in the window.

A child table's rows are the entries of its lists (``Nesting``) in the parent's records; its
parent columns copy the enclosing objects' fields. Open records keep their open state (a null
``ended_time``/``end_time``: the API's ``endTime: -1`` of an open session is no time).
"""

from __future__ import annotations

import json
import multiprocessing
import warnings
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.clock import DAY_MS, day_of
from sandbox.legacy import truth as legacy_truth
from sandbox.model import MIN_CACHED_DAYS, STATUS_OF_KIND, Tenant, gc_paused
from sandbox.reporting import truth as reporting_truth
from sandbox.timeline import CONSULT, INSTANT, QUEUE, RING
from sandbox.truth_file import TruthFile
from sandbox.wfo import truth as wfo_truth
from warehouse.schemas import (
    AGENT_ACTIVITY,
    AGENT_SESSION,
    AGENT_SESSION_CHANNEL,
    TASK,
    TASK_ACTIVITY,
    TASK_DETAILS,
    TASK_LEG_DETAILS,
    TASK_VARIABLE,
    Table,
)

FAMILIES = ("search", "reporting", "legacy", "wfo")
_BATCH_ROWS = 5_000  # rows per Parquet row group; keeps memory flat over long windows
# Where the model keeps a list the API serves under another path.
_MODEL_LIST_KEYS = {"activities.nodes": "_activities"}

Row = tuple[Mapping[str, Any], ...]  # the objects a row reads from, outermost (the record) first


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _lists(table: Table) -> tuple[str, ...]:
    return table.parent.lists if table.parent is not None else ()


def _reader(table: Table, column: Any) -> tuple[int, tuple[str, ...]]:
    """How a column reads a row: the object it reads (``row[depth]``: -1 the row's own, else
    an enclosing one) and the path within it."""
    lists = _lists(table)
    if not column.from_parent:
        return -1, tuple(column.api_path.split("."))
    # A parent column's path is full: strip the list paths it lies under to find its object.
    depth, rest = 0, column.api_path
    for list_path in lists[:-1]:
        if rest.startswith(list_path + "."):
            depth, rest = depth + 1, rest[len(list_path) + 1 :]
        else:
            break
    return depth, tuple(rest.split("."))


def _read_column(objs: list[Mapping[str, Any]], parts: tuple[str, ...]) -> list[Any]:
    """``a.b.c`` of every object, a column at a time (a missing or null parent object gives
    None; a missing member fails: the model promises every member)."""
    values: list[Any] = list(map(itemgetter(parts[0]), objs))
    for part in parts[1:]:
        values = [None if v is None else v[part] for v in values]
    return values


def _insert(tree: dict[str, Any], parts: tuple[str, ...], leaf: pa.DataType) -> bool:
    """Put the column at ``parts`` into a tree of nested members (False if it clashes: a member
    both read whole and read into)."""
    for part in parts[:-1]:
        inner = tree.setdefault(part, {})
        if not isinstance(inner, dict):
            return False
        tree = inner
    if parts[-1] in tree:
        return False
    tree[parts[-1]] = leaf
    return True


def _struct_type(tree: dict[str, Any]) -> pa.StructType:
    return pa.struct(
        [(name, _struct_type(v) if isinstance(v, dict) else v) for name, v in tree.items()]
    )


def _leaves(array: pa.StructArray, prefix: tuple[str, ...]) -> dict[tuple[str, ...], pa.Array]:
    """Every leaf column of a struct array by its path; ``flatten`` carries a null parent's
    nulls into its members (a null ``lastQueue`` gives a null ``lastQueue.id``)."""
    out: dict[tuple[str, ...], pa.Array] = {}
    for field, child in zip(array.type, array.flatten(), strict=True):
        path = (*prefix, field.name)
        if pa.types.is_struct(field.type):
            out.update(_leaves(child, path))
        else:
            out[path] = child
    return out


def _with_entry_point(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for rec in records:
        rec["entryPoint"] = dict(rec["lastEntryPoint"])
        yield rec


def _rows(table: Table, record: Mapping[str, Any]) -> Iterator[Row]:
    """The rows a record gives a table: itself, or the entries of the table's nested lists."""
    lists = _lists(table)
    if not lists:
        yield (record,)
        return

    def walk(prefix: Row, obj: Mapping[str, Any], level: int) -> Iterator[Row]:
        path = lists[level]
        entries = obj.get(_MODEL_LIST_KEYS.get(path, path)) or ()
        for entry in entries:
            if level + 1 == len(lists):
                yield (*prefix, entry)
            else:
                yield from walk((*prefix, entry), entry, level + 1)

    yield from walk((record,), record, 0)


class _TableWriter(TruthFile):
    """Rows of one table, cast to its Arrow schema and written in row groups."""

    def __init__(self, table: Table, org_id: str, out: Path) -> None:
        super().__init__(out, table)
        self.table = table
        self.org_id = org_id
        fields = list(table.arrow)[1:]  # after org_id
        self.columns = [
            (_reader(table, c), c.kind, f.type) for c, f in zip(table.columns, fields, strict=True)
        ]
        self.rows: list[Row] = []
        # Where the model keeps each nesting level's list (``add`` walks one level inline).
        self.list_keys = tuple(_MODEL_LIST_KEYS.get(p, p) for p in _lists(table))
        # Per depth, one Arrow struct type holding every column read there but JSON ones: the
        # objects are converted in one pass of Arrow's own (C++) conversion from dicts, the
        # columns then taken out of it, instead of reading ~10 million members one by one in
        # Python (most of the truth's time). Instants are read as int64 first.
        trees: dict[int, dict[str, Any]] = {}
        self.by_arrow: set[tuple[int, tuple[str, ...]]] = set()
        for (depth, parts), kind, arrow_type in self.columns:
            if kind == "json":
                continue
            leaf_type = pa.int64() if kind == "instant" else arrow_type
            if _insert(trees.setdefault(depth, {}), parts, leaf_type):
                self.by_arrow.add((depth, parts))
        self.struct_types = {depth: _struct_type(tree) for depth, tree in trees.items()}
        # A table whose rows are the records themselves can take the columns another such
        # table of the same records converted already (search.task's from task_details').
        self.own_rows = not self.list_keys
        self.leaf_types = {
            parts: pa.int64() if kind == "instant" else arrow_type
            for (depth, parts), kind, arrow_type in self.columns
            if depth == -1 and (depth, parts) in self.by_arrow
        }
        self.missing_types: dict[frozenset[tuple[str, ...]], pa.StructType] = {}

    def add(self, record: Mapping[str, Any]) -> None:
        keys = self.list_keys
        if not keys:
            self.rows.append((record,))
        elif len(keys) == 1:  # a child table one list deep: (record, entry) per entry
            self.rows.extend([(record, entry) for entry in record.get(keys[0]) or ()])
        else:
            self.rows.extend(_rows(self.table, record))

    def _convert(
        self, objs: list[Mapping[str, Any]], depth: int, shared: dict[Any, pa.Array] | None
    ) -> dict[tuple[str, ...], pa.Array]:
        """The leaf columns read at ``depth``; with ``shared`` (columns of the same rows by
        path and type), only those not there yet are converted, and added to it."""
        if shared is None or depth != -1 or not self.own_rows:
            return _leaves(pa.array(objs, self.struct_types[depth]), ())
        wanted = self.leaf_types
        got = {parts: shared[(parts, t)] for parts, t in wanted.items() if (parts, t) in shared}
        missing = frozenset(wanted.keys() - got.keys())
        if missing:
            struct = self.missing_types.get(missing)
            if struct is None:
                tree: dict[str, Any] = {}
                for parts in sorted(missing):
                    _insert(tree, parts, wanted[parts])
                struct = self.missing_types[missing] = _struct_type(tree)
            converted = _leaves(pa.array(objs, struct), ())
            got.update(converted)
            shared.update({(parts, wanted[parts]): a for parts, a in converted.items()})
        return got

    def flush(self, shared: dict[Any, pa.Array] | None = None) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        arrays = [pa.array([self.org_id] * len(rows), pa.string())]
        objects: dict[int, list[Mapping[str, Any]]] = {}
        leaves: dict[int, dict[tuple[str, ...], pa.Array]] = {}
        for (depth, parts), kind, arrow_type in self.columns:
            objs = objects.get(depth)
            if objs is None:
                objs = objects[depth] = list(map(itemgetter(depth), rows))
            if (depth, parts) in self.by_arrow:
                got = leaves.get(depth)
                if got is None:
                    got = leaves[depth] = self._convert(objs, depth, shared)
                column = got[parts]
                if kind == "instant":
                    # a negative "time" (an open session's endTime -1) is no time
                    column = pc.if_else(pc.less(column, 0), None, column).cast(arrow_type)
                arrays.append(column)
                continue
            values = _read_column(objs, parts)
            if kind == "json":
                values = [_json_text(v) for v in values]
            elif kind == "instant":
                # Epoch ms into timestamp[ms, UTC] as they are; a negative "time" (an open
                # session's endTime -1) is no time.
                values = [None if v is not None and v < 0 else v for v in values]
            arrays.append(pa.array(values, arrow_type))
        self.writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.table.arrow))

    def close(self, shared: dict[Any, pa.Array] | None = None) -> Path:
        self.flush(shared)
        return self.finish()


def _write(
    out: Path, org_id: str, tables: Iterable[Table], records: Iterable[Mapping[str, Any]]
) -> list[Path]:
    writers = [_TableWriter(t, org_id, out) for t in tables]
    try:
        for rec in records:
            for w in writers:
                w.add(rec)
            # Tables whose rows are the records fill their batches together: the columns one
            # converts, the next takes (``shared`` holds one batch's columns only).
            shared: dict[Any, pa.Array] = {}
            for w in writers:
                if len(w.rows) >= _BATCH_ROWS:
                    w.flush(shared if w.own_rows else None)
        shared = {}
        return [w.close(shared if w.own_rows else None) for w in writers]
    except BaseException:
        for w in writers:
            w.writer.close()
            w.tmp.unlink(missing_ok=True)
        raise


_VALUE_KEY = {
    "string": "stringValue",
    "integer": "integerValue",
    "long": "integerValue",
    "double": "doubleValue",
    "boolean": "booleanValue",
}


def _with_variables(record: dict[str, Any]) -> dict[str, Any]:
    """The task's CAD variables as search.task_variable rows, from the model's typed list.

    With no variables configured the pipeline keeps every variable with a value, in the column
    of its declared type, and no ``type`` (the API's JSON does not tell integer from long).
    """
    record["_variables"] = [
        {
            "name": v["name"],
            "type": None,
            **dict.fromkeys(_VALUE_KEY.values()),
            _VALUE_KEY[v["type"]]: v["value"],
        }
        for v in sorted(record.get("_globalVariables") or (), key=lambda v: v["name"])
        if v["value"] is not None
    ]
    return record


def write_truth(
    out_dir: str | Path,
    *,
    seed: int,
    tasks_per_day: int,
    now_ms: int,
    from_ms: int,
    to_ms: int,
    config: Mapping[str, Any] | None = None,
    families: tuple[str, ...] = FAMILIES,
    cache_dir: str | Path | None = None,
    workers: int = 1,
    tenant: Tenant | None = None,
) -> list[Path]:
    """Write ``<schema>.<table>.parquet`` per warehouse table for ``[from_ms, to_ms)`` at ``now_ms``.

    ``families`` chooses the API families written (default all); ``config`` is the pipeline's
    ``WXCC_CONFIG`` content, for what it configures (the WFO reports exported).
    ``cache_dir``: read and keep simulated days there (``sandbox.daystore``; None: memory only).
    ``workers``: processes writing the files at once (forked after the days are simulated, so
    they share them; 1, or no ``fork`` on the platform: this process alone). ``tenant``: a
    tenant of ``seed`` and ``tasks_per_day`` to read (its kept days reused); None: a new one.

    Tables keyed by created time (tasks, task legs) hold the records created in the window before
    ``now_ms``; agent sessions (with their channels and activities) those started in it. Each
    file has exactly the table's Arrow schema (names, types, field metadata; ``org_id`` first).
    Returns the paths written, ``search.task_details.parquet`` first.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if tenant is None:
        tenant = Tenant(seed, tasks_per_day, cache_dir=cache_dir)
    elif (tenant.seed, tenant.tasks_per_day) != (seed, tasks_per_day):
        raise ValueError("tenant is not of the seed and volume asked for")
    args = {"now_ms": now_ms, "from_ms": from_ms, "to_ms": to_ms, "config": dict(config or {})}
    jobs = [job for job in _JOBS if job[0] in families]
    # The records rendered here are millions of short-lived dicts without cycles; each
    # collection they set off walked the simulated days' objects again (~30 % of the truth's
    # CPU). Forked workers inherit the collector off.
    with gc_paused():
        if workers > 1 and len(jobs) > 1 and "fork" in multiprocessing.get_all_start_methods():
            return _in_family_order(_in_workers(out, tenant, jobs, args, families, workers))
        return _in_family_order([p for job in jobs for p in _run(job, out, tenant, args, families)])


def _run(
    job: tuple[str, str],
    out: Path,
    tenant: Tenant,
    args: dict[str, Any],
    families: tuple[str, ...],
) -> list[Path]:
    family, part = job
    # The Search task tables' pass renders each task's CSR fields once: with the legacy and
    # reporting families also written, it writes legacy.csr and reporting.tasks from the same
    # records, and those families' own jobs leave them out.
    shared = "search" in families
    if (family, part) == ("search", "tasks"):
        sinks: list[Any] = []
        if shared and "legacy" in families:
            sinks.append(legacy_truth.CsrWriter(out, tenant.org_id))
        if shared and "reporting" in families:
            sinks.append(reporting_truth.TasksWriter(out, tenant.org_id))
        return _search_tasks(out, tenant, sinks=sinks, **args)
    if family == "search":
        return _SEARCH_PARTS[part](out, tenant, **args)
    if family == "legacy":
        return legacy_truth.write_truth(out, tenant, with_csr=not shared, **args)
    if family == "reporting":
        return reporting_truth.write_truth(out, tenant, with_tasks=not shared, **args)
    return wfo_truth.write_truth(out, tenant, **args)


def _in_family_order(paths: list[Path]) -> list[Path]:
    """The paths by family (``FAMILIES``), each family's in the order written."""
    return sorted(paths, key=lambda path: FAMILIES.index(path.name.partition(".")[0]))


# What the forked workers read (set only while a pool runs; fork copies it into each).
_FORKED: tuple[Path, Tenant, list[tuple[str, str]], dict[str, Any], tuple[str, ...]] | None = None


def _forked_job(index: int) -> list[Path]:
    assert _FORKED is not None, "only called in a worker forked by _in_workers"
    out, tenant, jobs, args, families = _FORKED
    return _run(jobs[index], out, tenant, args, families)


def _in_workers(
    out: Path,
    tenant: Tenant,
    jobs: list[tuple[str, str]],
    args: dict[str, Any],
    families: tuple[str, ...],
    workers: int,
) -> list[Path]:
    """The jobs in forked processes, the longest first; paths in the jobs' order."""
    global _FORKED
    # Simulate the days every family reads here, once, so the workers inherit them (fork
    # shares the memory) instead of each simulating them again. Only as many as the tenant
    # keeps for sure: a longer window is simulated by the workers, window by window.
    lo = min(args["from_ms"] - DAY_MS, args["to_ms"])
    hi = min(args["to_ms"], args["now_ms"])
    if lo < hi:
        days = range(day_of(lo), day_of(hi - 1) + 1)
        if len(days) <= (tenant.day.max_days or MIN_CACHED_DAYS):
            for day in days:
                tenant.day(day)
    order = sorted(range(len(jobs)), key=lambda i: _JOB_WEIGHT[jobs[i]], reverse=True)
    _FORKED = (out, tenant, jobs, args, families)
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a threaded process may deadlock: the workers only
            # run this module's pure-Python and Arrow code, never waiting on a parent's lock.
            warnings.filterwarnings("ignore", "This process .* use of fork", DeprecationWarning)
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
                futures = {i: pool.submit(_forked_job, i) for i in order}
                return [path for i in range(len(jobs)) for path in futures[i].result()]
    finally:
        _FORKED = None


def _search_tasks(
    out: Path,
    tenant: Tenant,
    *,
    now_ms: int,
    from_ms: int,
    to_ms: int,
    config: dict[str, Any],
    sinks: list[Any] | None = None,
) -> list[Path]:
    # One rendering of each task (its CSR fields) feeds three tables: the task query's record
    # is the CSR plus ``entryPoint`` (the entry point it arrived on:
    # ``sandbox.model.Tenant.legacy_tasks``). Its activities come from the simulation's.
    plans = tenant.task_plans(from_ms, to_ms, now_ms)
    records = tenant.tasks(from_ms, to_ms, now_ms, with_nodes=False)
    activities = _ActivityWriter(tenant, now_ms, out)
    sinks = sinks or []
    fed = _feed(sinks, activities.add_each(plans, records))
    try:
        paths = _write(
            out,
            tenant.org_id,
            (TASK_DETAILS, TASK_VARIABLE, TASK),
            map(_with_variables, _with_entry_point(fed)),
        )
    except BaseException:
        for sink in (activities, *sinks):
            sink.discard()
        raise
    # The paths in the order of the tables of the family (task_activity second).
    return [paths[0], activities.close(), *paths[1:], *(sink.close() for sink in sinks)]


def _feed(sinks: list[Any], records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The records, passed on, each given to every sink first (before this module adds its
    own members to it)."""
    for record in records:
        for sink in sinks:
            sink.add(record)
        yield record


class _ActivityWriter(TruthFile):
    """``search.task_activity`` column by column from the simulation's task activities.

    A row is one CAR node of ``taskDetails.activities`` at ``now`` (``sandbox.timeline.Act``,
    newest first within a task): rendering each node as a dict of 47 members to convert it
    back was half of the Search truth. What each member holds follows the data model's
    contract (sandbox/README.md, "Activities (CAR) and durations"); a mistake in the HTTP
    app's nodes still shows as a difference from these rows.
    """

    def __init__(self, tenant: Tenant, now_ms: int, out: Path) -> None:
        super().__init__(out, TASK_ACTIVITY)
        self.now = now_ms
        self.org_id = tenant.org_id
        self.names = [c.api_path for c in TASK_ACTIVITY.columns[2:]]  # after the parent columns
        self.at = {name: i + 2 for i, name in enumerate(self.names)}
        ents = tenant.entities
        self.teams = {t.id: t for t in ents.teams}
        self.sites = {s.id: s for s in ents.sites}
        self.rows: list[list[Any]] = []

    def add_each(
        self, plans: Iterable[Any], records: Iterable[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        """The records, passed on, each task's activities written on the way."""
        for plan, record in zip(plans, records, strict=True):
            self.add(plan)
            yield record

    def add(self, task: Any) -> None:
        at, now = self.at, self.now
        ep, ch = task.ep, task.channel
        flow = ep.flow
        base: list[Any] = [None] * (len(self.names) + 2)
        base[0], base[1] = task.id, task.created
        base[at["isActive"]] = False
        base[at["duration"]] = 0
        for name, value in (
            ("entrypointId", ep.id),
            ("entrypointName", ep.name),
            ("ivrScriptId", flow.id),
            ("ivrScriptName", flow.name),
            ("ivrScriptTagId", flow.tag_id),
            ("ivrScriptTagName", flow.tag_name),
            ("emailHasAttachments", task.email[2] if task.email is not None else None),
        ):
            base[at[name]] = value
        ended_state = "wrapup" if task.wrap_code is not None else "ended"
        rows: list[list[Any]] = []
        state: str | None = None
        # Column positions as locals: the loop runs once per activity (millions a day).
        i_activity_name = at["activityName"]
        i_activity_type = at["activityType"]
        i_agent_channel_id = at["agentChannelId"]
        i_agent_id = at["agentId"]
        i_agent_name = at["agentName"]
        i_agent_phone_number = at["agentPhoneNumber"]
        i_agent_session_id = at["agentSessionId"]
        i_child_contact_id = at["childContactId"]
        i_child_contact_type = at["childContactType"]
        i_consult_ep_name = at["consultEpName"]
        i_contact_assignment_type = at["contactAssignmentType"]
        i_created_time = at["createdTime"]
        i_destination_queue_id = at["destinationQueueId"]
        i_destination_queue_name = at["destinationQueueName"]
        i_duration = at["duration"]
        i_ended_time = at["endedTime"]
        i_event_name = at["eventName"]
        i_id = at["id"]
        i_is_active = at["isActive"]
        i_last_activity_time = at["lastActivityTime"]
        i_next_state = at["nextState"]
        i_previous_state = at["previousState"]
        i_queue_id = at["queueId"]
        i_queue_name = at["queueName"]
        i_site_id = at["siteId"]
        i_site_name = at["siteName"]
        i_skills_assigned_in = at["skillsAssignedIn"]
        i_team_id = at["teamId"]
        i_team_name = at["teamName"]
        i_termination_reason = at["terminationReason"]
        i_transfer_type = at["transferType"]
        for a in task.acts:
            start = a.start
            if start >= now:
                break
            kind, info, ev = a.kind, a.info, a.event
            row = base.copy()
            row[i_id] = f"{task.id}-{start}-{a.suffix}"
            row[i_created_time] = start
            row[i_event_name] = ev
            row[i_previous_state] = state
            if kind == INSTANT:
                row[i_ended_time] = row[i_last_activity_time] = start
                if ev == "flow-activity":
                    row[i_activity_name] = info["activityName"]
                    row[i_activity_type] = info["activityType"]
                elif ev == "blind-transfer":
                    row[i_transfer_type] = "blindTransfer"
                    row[i_destination_queue_id] = info["dest"].id
                    row[i_destination_queue_name] = info["dest"].name
                elif ev == "ended":
                    state = ended_state
                    row[i_termination_reason] = info["reason"]
                elif ev == "new":
                    state = "created"
            else:
                if a.end < now:
                    row[i_duration] = a.end - start
                    row[i_ended_time] = row[i_last_activity_time] = a.end
                else:  # still going on at now: its duration so far
                    row[i_duration] = now - start
                    row[i_is_active] = True
                    row[i_last_activity_time] = start
                state = STATUS_OF_KIND[kind]
                if kind == QUEUE:
                    row[i_activity_type] = "queue-contact"
                elif kind == RING:
                    row[i_contact_assignment_type] = "automatic"
                elif kind == CONSULT:
                    row[i_consult_ep_name] = info["consultEpName"]
                    row[i_child_contact_id] = info["child"]
                    row[i_child_contact_type] = "telephony"
            row[i_next_state] = state
            staff = a.staff
            if staff is not None:
                agent = staff.agent
                team, site = self.teams[agent.team_id], self.sites[agent.site_id]
                row[i_agent_id] = agent.id
                row[i_agent_name] = agent.name
                row[i_agent_phone_number] = agent.phone_number
                row[i_agent_session_id] = staff.session_id
                row[i_agent_channel_id] = staff.channel_ids[ch]
                row[i_site_id], row[i_site_name] = site.id, site.name
                row[i_team_id], row[i_team_name] = team.id, team.name
            queue = a.queue
            if queue is not None:
                row[i_queue_id], row[i_queue_name] = queue.id, queue.name
                row[i_skills_assigned_in] = "queue" if queue.required_skills else None
            rows.append(row)
        rows.reverse()  # newest first, as the API lists them
        self.rows += rows
        if len(self.rows) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        fields = list(TASK_ACTIVITY.arrow)
        arrays = [pa.array([self.org_id] * len(rows), pa.string())]
        arrays += [
            pa.array(column, field.type)
            for column, field in zip(zip(*rows, strict=True), fields[1:], strict=True)
        ]
        self.writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=TASK_ACTIVITY.arrow))


def _search_sessions(
    out: Path, tenant: Tenant, *, now_ms: int, from_ms: int, to_ms: int, config: dict[str, Any]
) -> list[Path]:
    return _write(
        out,
        tenant.org_id,
        (AGENT_SESSION, AGENT_SESSION_CHANNEL, AGENT_ACTIVITY),
        tenant.agent_sessions_records(from_ms, to_ms, now_ms),
    )


def _search_legs(
    out: Path, tenant: Tenant, *, now_ms: int, from_ms: int, to_ms: int, config: dict[str, Any]
) -> list[Path]:
    return _write(out, tenant.org_id, (TASK_LEG_DETAILS,), tenant.task_legs(from_ms, to_ms, now_ms))


_SEARCH_PARTS = {"tasks": _search_tasks, "sessions": _search_sessions, "legs": _search_legs}
# Every file to write, in the order of the paths returned (a family's tables, then the next).
_JOBS: list[tuple[str, str]] = [
    *(("search", part) for part in _SEARCH_PARTS),
    *((family, "") for family in FAMILIES[1:]),
]
# CPU seconds of each job at 15,000 tasks a day (two days, in process, days simulated): workers
# take the longest first, so the short ones fill in at the end and two workers end together.
_JOB_WEIGHT = {
    ("search", "tasks"): 5.7,  # with legacy.csr and reporting.tasks
    ("reporting", ""): 3.6,
    ("legacy", ""): 2.5,
    ("search", "legs"): 1.6,
    ("wfo", ""): 1.3,
    ("search", "sessions"): 1.1,
}
