"""Cursor paging state for the Search API, guarded against answers that would loop or stop early.

The Search API pages with ``pagination: {cursor}``: the first page passes ``"NA"``, each answer
carries ``pageInfo {hasNextPage endCursor}``, and the next page passes ``endCursor``. Cursors are
opaque (a page index for taskDetails, a UUID for agentSession, a ``field=value::...`` key for
aggregations), so the paginator never parses them; it only refuses a "next page" without a cursor
and a cursor it has already sent, either of which would loop forever or silently drop pages.
"""

from __future__ import annotations

from pipelines.sources.errors import MalformedResponse, redact

FIRST_CURSOR = "NA"


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
