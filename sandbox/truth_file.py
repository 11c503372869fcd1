"""One ground-truth Parquet file, as every truth writer of every family writes it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from warehouse.schemas import Table


class TruthFile:
    """``<out>/<schema>.<table>.parquet``, written under a temporary name and renamed into place
    once whole, so a reader never sees half a file. No min/max statistics: nothing prunes by
    them, and they were a third of writing a file. Writers that hold rows override ``flush``."""

    def __init__(self, out: Path, table: Table) -> None:
        self.path = out / f"{table.qualified_name}.parquet"
        self.tmp = self.path.with_suffix(".parquet.tmp")
        self.writer = pq.ParquetWriter(self.tmp, table.arrow, write_statistics=False)

    def flush(self) -> None:
        """Write the rows held so far (none here)."""

    def close(self) -> Path:
        self.flush()
        return self.finish()

    def finish(self) -> Path:
        """Close the file and put it under its name (the rows are written already)."""
        self.writer.close()
        self.tmp.replace(self.path)  # never leave a half-written file under the final name
        return self.path

    def discard(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)
