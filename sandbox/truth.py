"""Ground truth: what a perfect pipeline must hold for a window once loaded at ``now``.

Computed from the data model directly. It deliberately shares no code with the HTTP app or the
pipeline's normalizers (``warehouse/normalize.py``): it flattens the model's records by each
column's ``api_path`` on its own, so a mistake there shows up as a difference from this file.
Only the table definitions (``warehouse.schemas``) are shared: they are the contract both meet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.model import Tenant
from warehouse.schemas import TASK_DETAILS, Table

_BATCH_ROWS = 5_000  # rows per Parquet row group; keeps memory flat over long windows


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _getter(api_path: str) -> Callable[[Mapping[str, object]], object]:
    """Read ``a.b.c`` from a record; a missing or null parent object gives None."""
    parts = tuple(api_path.split("."))
    if len(parts) == 1:
        key = parts[0]
        return lambda rec: rec[key]

    def get(rec: Mapping[str, object]) -> object:
        value: object = rec
        for part in parts:
            if value is None:
                return None
            value = value[part]  # type: ignore[index]
        return value

    return get


def _columns(table: Table) -> list[tuple[str, Callable[[Mapping[str, object]], object], str]]:
    """(column name, getter, kind) for every column after ``org_id``."""
    out = []
    for f in table.arrow:
        if f.name == "org_id":
            continue
        meta = f.metadata or {}
        path = meta[b"api_path"].decode()
        kind = meta.get(b"kind", b"").decode()
        out.append((f.name, _getter(path), kind))
    return out


def _batches(
    table: Table, org_id: str, records: Iterable[Mapping[str, object]]
) -> Iterable[pa.RecordBatch]:
    cols = _columns(table)
    schema = table.arrow
    rows: list[Mapping[str, object]] = []

    def flush() -> pa.RecordBatch:
        arrays = [pa.array([org_id] * len(rows), pa.string())]
        for (_, get, kind), field in zip(cols, list(schema)[1:], strict=True):
            values = [get(r) for r in rows]
            if kind == "json":
                values = [_json_text(v) for v in values]
            # Instants are epoch ms; Arrow takes ints for timestamp[ms, UTC] as they are.
            arrays.append(pa.array(values, field.type))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    for rec in records:
        rows.append(rec)
        if len(rows) >= _BATCH_ROWS:
            yield flush()
            rows = []
    if rows:
        yield flush()


def write_truth(
    out_dir: str | Path,
    *,
    seed: int,
    tasks_per_day: int,
    now_ms: int,
    from_ms: int,
    to_ms: int,
) -> list[Path]:
    """Write ``<schema>.<table>.parquet`` per warehouse table for ``[from_ms, to_ms)`` at ``now_ms``.

    ``search.task_details``: one row per task created in the window before ``now_ms``, as the
    Search API shows it at ``now_ms`` (open tasks with a null ``ended_time``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tenant = Tenant(seed, tasks_per_day)
    table = TASK_DETAILS
    path = out / f"{table.qualified_name}.parquet"
    tmp = path.with_suffix(".parquet.tmp")
    with pq.ParquetWriter(tmp, table.arrow) as writer:
        records = tenant.tasks(from_ms, to_ms, now_ms)
        for batch in _batches(table, tenant.org_id, records):
            writer.write_batch(batch)
    tmp.replace(path)  # never leave a half-written file under the final name
    return [path]
