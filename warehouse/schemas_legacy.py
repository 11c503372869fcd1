"""The legacy.* tables (placeholder until the family is built: none yet)."""

from __future__ import annotations

from warehouse.schemas import Table

TABLES: tuple[Table, ...] = ()
