"""HTTP error responses in the WxCC REST error body, shared by every API family's routes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import orjson
from starlette.requests import Request
from starlette.responses import Response

JSON = "application/json"


def error_body(status: int, description: str, tracking_id: str) -> bytes:
    """The WxCC REST error body (OpenAPI "Response body for an API error")."""
    return orjson.dumps(
        {
            "trackingId": tracking_id,
            "error": {"key": str(status), "message": [{"description": description}]},
        }
    )


def error_response(
    status: int, description: str, tracking_id: str, headers: Mapping[str, str] | None = None
) -> Response:
    """An error in the WxCC REST error body, with its ``TrackingId`` header."""
    all_headers = {"TrackingId": tracking_id, **(headers or {})}
    return Response(
        error_body(status, description, tracking_id),
        status_code=status,
        media_type=JSON,
        headers=all_headers,
    )


def tracking_id_of(request: Request) -> str:
    """The caller's ``TrackingId`` header, else a new one."""
    given = request.headers.get("trackingid")
    return given if given else str(uuid.uuid4())
