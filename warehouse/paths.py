"""Where one warehouse's files live under ``$WXCC_DATA_DIR``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WarehousePaths:
    """The files of one warehouse.

    Loads write window files under ``parquet_root`` and record them in ``store_path``
    (``warehouse.store``); ``warehouse.publish`` writes ``published_path``, the DuckDB file
    readers open, as views over the current window files, replacing it atomically under
    ``publish_lock_path``. Both live in ``store/``, not in ``state/`` (owner-only: tokens).
    """

    data_dir: Path

    @property
    def parquet_root(self) -> Path:
        return self.data_dir / "parquet"

    @property
    def store_path(self) -> Path:
        return self.data_dir / "store" / "warehouse.sqlite"

    @property
    def publish_lock_path(self) -> Path:
        return self.data_dir / "store" / "publish.lock"

    @property
    def published_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def duckdb_path(self) -> Path:
        """The published file: before issue 16 loads wrote a private file here first."""
        return self.published_path
