"""Window files on S3-compatible object storage (``WXCC_STORAGE_URL=s3://bucket/prefix``).

With a storage URL set, the bucket is where window files live: every landed version is put there
before the window store commits it, and the store names it by its URI
(``s3://bucket/prefix/<schema>/<table>/org_id=<org>/date=<day>/_versions/<version>.parquet.v``).
The local Parquet tree (``$WXCC_DATA_DIR/parquet``, same layout under the prefix) is then a
*mirror*: the files the published warehouse's views read, since DuckDB here has no httpfs
extension to read S3 itself and BI tools open the published file without Python. A version is
immutable, so a mirrored copy never goes stale: a machine downloads each version it publishes
once (the writing machine has it already), and a publish costs O(files) plus the new bytes.

Guarantees on S3, as on a local disk:

- an object put is atomic: a reader or a store commit never sees half a version file, and a
  failed upload leaves no object (a multipart upload that is not completed is not an object);
- versions are never overwritten (each has a name of its own) and are deleted only after the
  grace period (``warehouse.publish``);
- a window becomes current only when the store commits its list of files, after every put.

Credentials never pass through the project: pyarrow's S3 client reads the AWS SDK's own chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` and
``~/.aws``, an instance role), so nothing here can log them or write them into run config.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from pyarrow import fs as pafs

SCHEME = "s3://"
CHUNK_BYTES = 8 * 1024 * 1024  # copy buffer for uploads and downloads
DEFAULT_REGION = "us-east-1"  # what S3-compatible servers (MinIO, moto) answer to


@dataclass(frozen=True)
class ObjectStore:
    """An S3-compatible bucket and key prefix (no credentials: see the module docstring)."""

    url: str  # s3://bucket/prefix
    endpoint_url: str | None = None  # http(s)://host:port of an S3-compatible server; None: AWS
    region: str | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(
                f"storage URL {self.url!r} is not s3://<bucket>[/<prefix>] "
                "(WXCC_STORAGE_URL or storage_url in WXCC_CONFIG)"
            )
        if self.endpoint_url is not None:
            endpoint = urlsplit(self.endpoint_url)
            if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
                raise ValueError(
                    f"S3 endpoint {self.endpoint_url!r} is not http(s)://host[:port] "
                    "(WXCC_S3_ENDPOINT_URL or s3_endpoint_url in WXCC_CONFIG)"
                )

    @property
    def bucket(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def prefix(self) -> str:
        return urlsplit(self.url).path.strip("/")

    def filesystem(self) -> pafs.S3FileSystem:
        """The process's S3 client for this store (one per store: it holds a connection pool)."""
        return _filesystem(self.endpoint_url, self.region)

    def uri(self, relative: str) -> str:
        """``s3://bucket/prefix/<relative>`` of a path relative to the Parquet root."""
        return SCHEME + self._key(relative)

    def relative(self, uri: str) -> str:
        """The path under the Parquet root that ``uri`` (one of this store's) mirrors to."""
        key = _key_of(uri)
        head = f"{self.bucket}/{self.prefix}/" if self.prefix else f"{self.bucket}/"
        if not key.startswith(head):
            raise ValueError(f"{uri} is not under the storage URL {self.url}")
        relative = key[len(head) :]
        if not relative or ".." in PurePosixPath(relative).parts:
            raise ValueError(f"{uri} names no file under {self.url}")
        return relative

    def put(self, local: Path, relative: str) -> str:
        """Upload ``local`` as the object for ``relative``; return its URI. The object exists
        whole once this returns, or not at all (the upload is completed only on close)."""
        uri = self.uri(relative)
        try:
            with (
                open(local, "rb") as source,
                self.filesystem().open_output_stream(_key_of(uri)) as sink,
            ):
                while chunk := source.read(CHUNK_BYTES):
                    sink.write(chunk)
        except BaseException:
            # pyarrow's stream completes the upload when closed, even on an error: a stray
            # version no store commit names; remove it (best effort: the commit never comes).
            try:
                self.delete(uri)
            except OSError:
                pass
            raise
        return uri

    def get(self, uri: str, local: Path) -> None:
        """Download ``uri`` to ``local`` atomically (a temp file renamed into place)."""
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(f".tmp-{uuid.uuid4().hex}-{local.name}.partial")
        try:
            with (
                self.filesystem().open_input_stream(_key_of(uri)) as source,
                open(tmp, "wb") as sink,
            ):
                while chunk := source.read(CHUNK_BYTES):
                    sink.write(chunk)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(tmp, local)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def delete(self, uri: str) -> None:
        """Delete one object (nothing if it is gone already)."""
        try:
            self.filesystem().delete_file(_key_of(uri))
        except FileNotFoundError:
            pass

    def existing(self, uris: Iterable[str]) -> set[str]:
        """Those of ``uris`` that exist: one listing of the prefix (1,000 keys a request), not a
        request per file."""
        wanted = set(uris)
        if not wanted:
            return set()
        base = f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket
        listed = self.filesystem().get_file_info(
            pafs.FileSelector(base, recursive=True, allow_not_found=True)
        )
        present = {SCHEME + info.path for info in listed if info.type == pafs.FileType.File}
        return wanted & present

    def _key(self, relative: str) -> str:
        relative = PurePosixPath(relative).as_posix().lstrip("/")
        return "/".join(p for p in (self.bucket, self.prefix, relative) if p)


def is_uri(file: str) -> bool:
    return file.startswith(SCHEME)


def _key_of(uri: str) -> str:
    """pyarrow's path of an object: ``bucket/key``."""
    return uri[len(SCHEME) :]


@functools.cache
def _filesystem(endpoint_url: str | None, region: str | None) -> pafs.S3FileSystem:
    if endpoint_url is None:
        return pafs.S3FileSystem(region=region or None)
    endpoint = urlsplit(endpoint_url)
    return pafs.S3FileSystem(
        endpoint_override=endpoint.netloc,
        scheme=endpoint.scheme,
        region=region or DEFAULT_REGION,
    )
