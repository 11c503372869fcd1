"""The sandbox's Search API (GraphQL): schema, root queries, filters, aggregations, paging and
projection (taskDetails, task, agentSession, taskLegDetails)."""

from sandbox.search.engine import SearchEngine, SearchResult
from sandbox.search.errors import HttpError, QueryError
from sandbox.search.roots import ROOTS, RootSpec, catalog
from sandbox.search.schema import schema, sdl, task_details_catalog

__all__ = [
    "ROOTS",
    "HttpError",
    "QueryError",
    "RootSpec",
    "SearchEngine",
    "SearchResult",
    "catalog",
    "schema",
    "sdl",
    "task_details_catalog",
]
