"""Ground truth of the legacy.* tables, built from the legacy records of the data model.

For ``[from, to)`` at ``now``: ``legacy.csr`` holds the CSRs of the tasks created in the window,
``legacy.car`` the CARs of the task activities started in it, ``legacy.asr`` the ASRs of the
agent sessions started in it, ``legacy.aar`` the AARs of the agent activities started in it
(``sandbox.legacy.records``). Columns are read by each column's ``api_path`` and typed straight
to the table's Arrow schema here; nothing is shared with the HTTP rendering (JSON/CSV) or with the
pipeline's client and normalizer, so a mistake in either shows up as a difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.legacy.records import DAY_MS, records
from warehouse.schemas import Table
from warehouse.schemas_legacy import RECORD_PATHS, TABLES


def _batch(table: Table, org_id: str, rows: list[dict[str, Any]]) -> pa.RecordBatch:
    # One Arrow conversion of the row dicts to a struct of the table's columns (C++), then its
    # members by position: reading each member in Python was a fifth of the legacy truth.
    fields = list(table.arrow)[1:]
    struct = pa.struct([(c.api_path, f.type) for c, f in zip(table.columns, fields, strict=True)])
    members = pa.array(rows, struct).flatten() if rows else [pa.array([], f.type) for f in fields]
    arrays = [pa.array([org_id] * len(rows), pa.string()), *members]
    return pa.RecordBatch.from_arrays(arrays, schema=table.arrow)


def write_truth(
    out: Path, tenant: Any, *, now_ms: int, from_ms: int, to_ms: int, config: dict[str, Any]
) -> list[Path]:
    """Write ``legacy.<table>.parquet`` for each legacy table; return the paths."""
    paths = []
    for table in TABLES:
        path = out / f"{table.qualified_name}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        with pq.ParquetWriter(tmp, table.arrow) as writer:
            start = from_ms
            while start < to_ms:  # a day at a time keeps memory flat over long windows
                end = min(to_ms, start + DAY_MS)
                rows = records(RECORD_PATHS[table.qualified_name], tenant, start, end, now_ms)
                writer.write_batch(_batch(table, tenant.org_id, rows))
                start = end
        tmp.replace(path)
        paths.append(path)
    return paths
