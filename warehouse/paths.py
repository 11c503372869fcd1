"""Where one warehouse's files live under ``$WXCC_DATA_DIR`` (and, optionally, in a bucket)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from warehouse import objects
from warehouse.objects import ObjectStore


@dataclass(frozen=True)
class WarehousePaths:
    """The files of one warehouse.

    Loads write window files under ``parquet_root`` and record them in ``store_path``
    (``warehouse.store``); ``warehouse.publish`` writes ``published_path``, the DuckDB file
    readers open, as views over the current window files, replacing it atomically under
    ``publish_lock_path``. Both live in ``store/``, not in ``state/`` (owner-only: tokens).

    With ``storage`` (``WXCC_STORAGE_URL``) the window files live in that bucket and the store
    names them by URI; ``parquet_root`` holds their local mirror (``warehouse.objects``). A
    *stored name* is what the store records for a file: a local path, or an ``s3://`` URI.
    """

    data_dir: Path
    storage: ObjectStore | None = None

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
    def published_state_path(self) -> Path:
        """What the published file holds (``warehouse.publish``: which views to replace)."""
        return self.data_dir / "store" / "published.json"

    @property
    def published_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def duckdb_path(self) -> Path:
        """The published file: before issue 16 loads wrote a private file here first."""
        return self.published_path

    def store_file(self, local: Path) -> str:
        """The stored name of a new version file written under ``parquet_root``: the file
        itself, or (with ``storage``) the object it is uploaded to, whole, before this returns."""
        if self.storage is None:
            return str(local)
        relative = Path(local).relative_to(self.parquet_root).as_posix()
        return self.storage.put(Path(local), relative)

    def mirror_path(self, stored: str) -> Path:
        """Where a stored file is read locally (itself, or its mirror under ``parquet_root``)."""
        if not objects.is_uri(stored):
            return Path(stored)
        if self.storage is None:
            raise ValueError(
                f"the window store names {stored}, but no storage URL is set: set "
                "WXCC_STORAGE_URL (and WXCC_S3_ENDPOINT_URL) as the loads that wrote it did"
            )
        return self.parquet_root / self.storage.relative(stored)

    def local_file(self, stored: str) -> Path:
        """A local path holding the stored file, downloading it first if it is not mirrored
        (versions are immutable: a mirrored copy is never stale)."""
        local = self.mirror_path(stored)
        if objects.is_uri(stored) and not local.exists():
            assert self.storage is not None  # mirror_path said so
            self.storage.get(stored, local)
        return local

    def local_files(self, files: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        """``store.current_files`` with every file readable locally (mirrored as needed)."""
        return {name: [str(self.local_file(f)) for f in listed] for name, listed in files.items()}

    def existing(self, stored: Iterable[str]) -> set[str]:
        """Those stored files that exist where they live (the bucket, for URIs: its copy is
        the file; a missing mirror is only downloaded again)."""
        names = set(stored)
        remote = {f for f in names if objects.is_uri(f)}
        found = {f for f in names - remote if Path(f).exists()}
        if remote:
            if self.storage is None:
                return found  # not reachable from this configuration: as good as lost
            found |= self.storage.existing(remote)
        return found

    def delete(self, stored: str) -> None:
        """Delete a retired file: the object and its mirror, or the local file."""
        if objects.is_uri(stored):
            local = self.mirror_path(stored)  # raises without a storage URL: nothing deleted
            assert self.storage is not None
            self.storage.delete(stored)
            local.unlink(missing_ok=True)
        else:
            Path(stored).unlink(missing_ok=True)
