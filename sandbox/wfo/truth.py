"""Ground truth of this API family's tables (placeholder until the family is built)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_truth(
    out: Path, tenant: Any, *, now_ms: int, from_ms: int, to_ms: int, config: dict[str, Any]
) -> list[Path]:
    """Write ``<schema>.<table>.parquet`` for each of the family's tables; return the paths."""
    return []
