"""Errors the Search engine reports, and how each reaches the client."""

from __future__ import annotations


class QueryError(Exception):
    """A query the service refuses while executing it (bad argument, limit, cursor).

    Reported the way a GraphQL server reports a resolver failure: HTTP 200, the root field is
    ``null`` in ``data`` and the message is in ``errors`` (see sandbox/README.md (Part 2)).
    """

    classification = "DataFetchingException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HttpError(Exception):
    """A failure the service reports with an HTTP status and the REST error body (e.g. 413)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
