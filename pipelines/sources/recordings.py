"""Downloading recording files (optional): resumable, checked by size, safe to kill.

The captures API hands out pre-signed URLs that expire (at most 60 minutes), so the downloader
asks for fresh ones itself (:meth:`ReportingClient.capture_pages`, 10 tasks a request) and
downloads each recording at once into ``<dest>/<task id>/<file name>``:

- bytes go to ``<file name>.part`` first; only a file whose size equals the size the server
  declared (``Content-Length``, or the total of ``Content-Range``) is renamed to its final name,
  so a final file is always complete, whatever happened before;
- a run that finds a ``.part`` file asks for the rest (``Range: bytes=<size>-``) and appends, so a
  killed download resumes where it stopped; a server that ignores the range gets the file again
  from the start;
- a recording whose final file exists is skipped;
- a URL refused as expired (HTTP 403) mid-run is asked for again once.

Pre-signed URLs carry their own authorization: no bearer token is ever sent with them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from pipelines.sources.errors import ApiError, MalformedResponse, ServerError, WxccError, redact
from pipelines.sources.http import DEFAULT_TIMEOUT, DEFAULT_USER_AGENT
from pipelines.sources.reporting import ReportingClient

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
PART_SUFFIX = ".part"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


class IncompleteDownload(WxccError):
    """A recording's bytes did not add up to the size the server declared (kept to resume)."""


@dataclass
class DownloadStats:
    """What one run did; ``as_dict()`` suits Dagster metadata."""

    downloaded: int = 0  # files completed by this run
    skipped: int = 0  # files already complete
    resumed: int = 0  # downloads continued from a .part file
    refreshed: int = 0  # URLs asked for again after an expiry
    bytes: int = 0  # bytes written by this run

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class RecordingDownloader:
    """Downloads the recordings of given tasks into ``dest``.

    ``transport`` lets tests inject an ``httpx`` transport; ``on_chunk(path, bytes_so_far)``
    is called after each chunk is written (progress, and tests that interrupt a download).
    """

    def __init__(
        self,
        client: ReportingClient,
        dest: Path,
        *,
        transport: httpx.BaseTransport | None = None,
        chunk_bytes: int = CHUNK_BYTES,
        on_chunk: Callable[[Path, int], None] | None = None,
    ) -> None:
        self.client = client
        self.dest = Path(dest)
        self.chunk_bytes = chunk_bytes
        self.on_chunk = on_chunk
        self.stats = DownloadStats()
        self._http = httpx.Client(
            timeout=DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": DEFAULT_USER_AGENT},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RecordingDownloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def download(self, tasks: Iterable[tuple[str, int]]) -> DownloadStats:
        """Download every recording of ``tasks`` (``(task id, createdTime ms)``)."""
        created: dict[str, int] = {}

        def remembered() -> Iterable[tuple[str, int]]:
            for task_id, at in tasks:
                created[task_id] = at
                yield task_id, at

        for page in self.client.capture_pages(remembered()):
            for capture in page:
                self._one(capture, created)
        return self.stats

    def path_of(self, capture: dict[str, Any]) -> Path:
        """Where a recording lands: ``<dest>/<task id>/<file name>`` (names checked, never a
        path that leaves ``dest``)."""
        task_id = capture.get("taskId")
        attributes = capture.get("attributes") or {}
        name = attributes.get("fileName") or f"{capture.get('id')}.wav"
        if not (_safe(task_id) and _safe(name)):
            raise MalformedResponse(
                f"recording of task {redact(repr(task_id), limit=60)} has an unsafe file "
                f"name {redact(repr(name), limit=60)}"
            )
        return self.dest / str(task_id) / str(name)

    def _one(self, capture: dict[str, Any], created: dict[str, int]) -> None:
        final = self.path_of(capture)
        if final.exists():
            self.stats.skipped += 1
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        url = (capture.get("attributes") or {}).get("filePath")
        for attempt in (1, 2):
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise MalformedResponse(f"{final.name}: the recording has no file URL")
            try:
                self._fetch(url, final)
                return
            except _Expired:
                if attempt == 2:
                    raise ApiError(
                        f"{final.name}: a fresh recording URL was refused as expired too",
                        status=403,
                    ) from None
                self.stats.refreshed += 1
                url = self._fresh_url(capture, created)

    def _fresh_url(self, capture: dict[str, Any], created: dict[str, int]) -> str | None:
        task_id = capture["taskId"]
        for page in self.client.capture_pages([(task_id, created.get(task_id, 0))]):
            for again in page:
                if again.get("id") == capture.get("id"):
                    url = (again.get("attributes") or {}).get("filePath")
                    return url if isinstance(url, str) else None
        return None

    def _fetch(self, url: str, final: Path) -> None:
        part = final.with_name(final.name + PART_SUFFIX)
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        where = f"recording {final.name}"
        with self._http.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == 403:
                raise _Expired()
            if status == 416 and have:
                # Asked past the end: the .part holds the whole file or is corrupt.
                total = _total_of(response.headers.get("content-range", ""))
                if total == have:
                    self._finish(part, final, have, total, where)
                    return
                part.unlink()
                raise IncompleteDownload(f"{where}: a partial file did not match; run again")
            if status >= 500:
                raise ServerError(f"{where}: HTTP {status}; run again to resume")
            if status not in (200, 206):
                raise ApiError(f"{where}: HTTP {status}", status=status)
            if status == 206:
                m = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
                if m is None or int(m.group(1)) != have:
                    raise MalformedResponse(f"{where}: the server sent another range than asked")
                total = int(m.group(3))
                mode = "ab"
                self.stats.resumed += 1
            else:
                length = response.headers.get("content-length")
                if length is None or not length.isdigit():
                    raise MalformedResponse(f"{where}: the server declared no size")
                total = int(length)
                have, mode = 0, "wb"  # the range was ignored: start over
            with part.open(mode) as out:
                for chunk in response.iter_bytes(self.chunk_bytes):
                    out.write(chunk)
                    out.flush()  # what a killed run leaves on disk is what it can resume
                    have += len(chunk)
                    self.stats.bytes += len(chunk)
                    if self.on_chunk is not None:
                        self.on_chunk(final, have)
                out.flush()
                os.fsync(out.fileno())
        self._finish(part, final, have, total, where)

    def _finish(self, part: Path, final: Path, have: int, total: int, where: str) -> None:
        size = part.stat().st_size
        if size != total or have != total:
            raise IncompleteDownload(
                f"{where}: {size} of {total} bytes arrived; the partial file is kept, run "
                "again to resume"
            )
        part.replace(final)
        self.stats.downloaded += 1
        log.info("%s: %d bytes", where, total)


class _Expired(Exception):
    pass


def _safe(part: object) -> bool:
    return isinstance(part, str) and bool(_SAFE_NAME.match(part)) and ".." not in part


def _total_of(content_range: str) -> int | None:
    m = re.match(r"^bytes \*/(\d+)$", content_range.strip())
    return int(m.group(1)) if m else None
