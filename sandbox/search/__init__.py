"""The sandbox's Search API (GraphQL): schema, filters, aggregations, paging and projection."""

from sandbox.search.engine import SearchEngine, SearchResult
from sandbox.search.errors import HttpError, QueryError
from sandbox.search.schema import schema, sdl, task_details_catalog

__all__ = [
    "HttpError",
    "QueryError",
    "SearchEngine",
    "SearchResult",
    "schema",
    "sdl",
    "task_details_catalog",
]
