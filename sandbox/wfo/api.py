"""Routes of this API family (placeholder until the family is built: serves nothing)."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route


def routes(app: Any) -> list[Route]:
    """The family's routes, served by ``app`` (a ``sandbox.app.SandboxApp``)."""
    return []
