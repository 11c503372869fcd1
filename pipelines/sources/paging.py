"""Cursor paging state for the Search API, guarded against answers that would loop or stop early.

The Search API pages with ``pagination: {cursor}``: the first page passes ``"NA"``, each answer
carries ``pageInfo {hasNextPage endCursor}``, and the next page passes ``endCursor``. Cursors are
opaque (a page index for taskDetails, a UUID for agentSession, a ``field=value::...`` key for
aggregations), so the paginator never parses them; it only refuses a "next page" without a cursor
and a cursor it has already sent, either of which would loop forever or silently drop pages.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

from pipelines.sources.errors import MalformedResponse, redact

FIRST_CURSOR = "NA"
T = TypeVar("T")


class CursorPaginator:
    """Init with the first cursor; ``update()`` from each page's ``pageInfo``; loop on ``has_next``."""

    def __init__(self, first_cursor: str = FIRST_CURSOR) -> None:
        self.cursor: str = first_cursor
        self.pages = 0
        self._has_next = True
        self._sent: set[str] = {first_cursor}

    @property
    def has_next(self) -> bool:
        return self._has_next

    def update(self, page_info: object, *, where: str) -> None:
        """Take the next cursor from ``page_info``; ``where`` names the page in errors."""
        self.pages += 1
        if not isinstance(page_info, dict):
            raise MalformedResponse(f"{where}: the answer has no pageInfo object")
        has_next = page_info.get("hasNextPage")
        if not isinstance(has_next, bool):
            raise MalformedResponse(
                f"{where}: pageInfo.hasNextPage is {redact(repr(has_next), limit=40)}, "
                "not true or false"
            )
        if not has_next:
            self._has_next = False
            return
        end_cursor = page_info.get("endCursor")
        if not isinstance(end_cursor, str) or not end_cursor:
            raise MalformedResponse(
                f"{where}: pageInfo says hasNextPage but endCursor is "
                f"{redact(repr(end_cursor), limit=40)}; cannot ask for the next page"
            )
        if end_cursor in self._sent:
            raise MalformedResponse(
                f"{where}: the API returned cursor {redact(repr(end_cursor), limit=80)} again "
                f"after {self.pages} pages; stopping rather than looping"
            )
        self._sent.add(end_cursor)
        self.cursor = end_cursor


_DONE = object()


def prefetched(pages: Iterator[T], *, depth: int = 1, name: str = "prefetch") -> Iterator[T]:
    """``pages``, produced by a thread of its own up to ``depth`` pages ahead of the consumer.

    While the caller normalizes and writes one page, the next request is already in flight (and
    decoded), so a window's wall time is the larger of fetching and processing, not their sum.
    Requests stay one at a time per window, each drawing on the org's budget as before; at most
    ``depth`` pages wait in memory besides the one being processed and the one being fetched, so
    memory stays flat. An exception of the producer is raised to the consumer at the page where
    it happened; a consumer that stops early (``close()``, an exception of its own) stops the
    producer after its current request.
    """
    handoff: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stopped.is_set():
                    try:
                        handoff.put((page, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stopped.is_set():
                    break
            else:
                handoff.put((_DONE, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            handoff.put((_DONE, exc))
        finally:
            if stopped.is_set():
                close = getattr(pages, "close", None)
                if close is not None:
                    close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        stopped.set()
        while thread.is_alive():  # unblock a producer waiting to hand over a page
            try:
                handoff.get_nowait()
            except queue.Empty:
                thread.join(0.05)
