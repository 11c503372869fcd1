"""Generate the committed per-table SQL files from the table schemas.

DuckDB cannot bind identifiers, so each table has its own statements, one per file, named
``verb_object``: ``ddl/create_schema_<schema>``, ``ddl/create_<table>``,
``load/delete_<table>_window`` and ``load/insert_<table>``. They are generated once from
``warehouse/schemas.py`` and committed, so they can be read, diffed and prepared by tests; values
are always bound parameters. Regenerate after changing a schema::

    .venv/bin/python -m warehouse.ddl          # write queries/sql/{ddl,load}/*.sql
    .venv/bin/python -m warehouse.ddl --check  # exit 1 if a committed file is stale
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

import pyarrow as pa

from warehouse.catalog import TABLES
from warehouse.schemas import UTC_MS, Table

log = logging.getLogger(__name__)

SQL_ROOT = Path(__file__).resolve().parents[1] / "queries" / "sql"

# Arrow type -> DuckDB column type; a JSON-kind string column is JSON.
DUCKDB_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    UTC_MS: "TIMESTAMPTZ",
    pa.date32(): "DATE",
    pa.timestamp("ms"): "TIMESTAMP",
}
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def duckdb_type(field: pa.Field) -> str:
    """DuckDB type of one column of a table's Arrow schema."""
    if (field.metadata or {}).get(b"kind") == b"json":
        return "JSON"
    return DUCKDB_TYPES[field.type]


def staged_name(table: Table) -> str:
    """Name under which the loader registers a window's Arrow data for the load statements."""
    return f"staged_{table.name}"


def create_schema_query(schema: str) -> str:
    return f"ddl/create_schema_{schema}"


def create_table_query(table: Table) -> str:
    return f"ddl/create_{table.name}"


def delete_window_query(table: Table) -> str:
    return f"load/delete_{table.name}_window"


def insert_query(table: Table) -> str:
    return f"load/insert_{table.name}"


def check_staged_query(table: Table) -> str:
    return f"load/check_staged_{table.name}"


def duplicate_keys_query(table: Table) -> str:
    return f"load/duplicate_keys_{table.name}"


def window_keys_query(table: Table) -> str:
    return f"checks/window_keys_{table.name}"


def _ident(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def render_create_schema(schema: str) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)};\n"


def render_create_table(table: Table) -> str:
    key = ["org_id", *table.key]
    width = max(len(n) for n in table.arrow.names)
    lines = []
    for field in table.arrow:
        not_null = " NOT NULL" if field.name in key or not field.nullable else ""
        lines.append(f"    {_ident(field.name):<{width}} {duckdb_type(field)}{not_null},")
    lines.append(f"    PRIMARY KEY ({', '.join(_ident(k) for k in key)})")
    body = "\n".join(lines)
    return (
        f"-- {table.qualified_name}: columns, types and key from warehouse/schemas.py "
        "(python -m warehouse.ddl).\n"
        f"CREATE TABLE IF NOT EXISTS {_qualified(table)} (\n{body}\n);\n"
    )


def replaced_by(table: Table) -> list[str]:
    """Columns on which a staged row replaces earlier rows wherever they were loaded.

    A top-level table: its key (an older version of the same record). A child table: the parent's
    key among its key columns, so a re-fetched parent's staged children replace all its earlier
    children, including those it no longer has.
    """
    key = ["org_id", *table.key]
    if table.parent is None:
        return key
    return ["org_id", *(k for k in table.key if table.column(k).from_parent)]


def render_delete_window(table: Table) -> str:
    match = " AND ".join(f"staged.{k} = target.{k}" for k in map(_ident, replaced_by(table)))
    time = _ident(table.time_column)
    older = "version of a staged row" if table.parent is None else "row of a staged row's parent"
    return (
        f"-- Rows a reload of one window of {table.qualified_name} replaces: those of org $org_id\n"
        f"-- whose {time} lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older\n"
        f"-- {older}, wherever it was loaded before.\n"
        f"DELETE FROM {_qualified(table)} AS target\n"
        "WHERE (\n"
        "        target.org_id = $org_id\n"
        f"        AND target.{time} >= $window_start\n"
        f"        AND target.{time} < $window_end\n"
        "    )\n"
        "    OR EXISTS (\n"
        f"        SELECT 1 FROM {staged_name(table)} AS staged\n"
        f"        WHERE {match}\n"
        "    );\n"
    )


def render_insert(table: Table) -> str:
    names = [_ident(n) for n in table.arrow.names]
    columns = ",\n    ".join(names)
    return (
        f"-- Insert a window's staged rows into {table.qualified_name}.\n"
        f"INSERT INTO {_qualified(table)} (\n    {columns}\n)\n"
        f"SELECT\n    {columns}\nFROM {staged_name(table)};\n"
    )


def render_check_staged(table: Table) -> str:
    staged = staged_name(table)
    time = _ident(table.time_column)
    nulls = "".join(
        f",\n    count(*) FILTER (WHERE {_ident(k)} IS NULL)" for k in ("org_id", *table.key)
    )
    return (
        f"-- The rows staged for a window of {table.qualified_name}, checked before they replace\n"
        "-- anything: rows of another org than $org_id, rows without a window time, the span of\n"
        "-- the window times (epoch ms), and per key column (org_id first) the rows without it.\n"
        "SELECT\n"
        "    count(*) FILTER (WHERE org_id IS DISTINCT FROM $org_id),\n"
        f"    count(*) FILTER (WHERE {time} IS NULL),\n"
        f"    epoch_ms(min({time})),\n"
        f"    epoch_ms(max({time})){nulls}\n"
        f"FROM {staged};\n"
    )


def render_duplicate_keys(table: Table) -> str:
    columns = ", ".join(_ident(k) for k in ("org_id", *table.key))
    return (
        f"-- Keys of {table.qualified_name} staged more than once (at most five): the key, its\n"
        "-- rows, and how many keys repeat.\n"
        f"SELECT {columns}, n, count(*) OVER ()\n"
        "FROM (\n"
        f"    SELECT {columns}, count(*) AS n\n"
        f"    FROM {staged_name(table)}\n"
        f"    GROUP BY {columns}\n"
        "    HAVING count(*) > 1\n"
        ")\n"
        f"ORDER BY {columns}\n"
        "LIMIT 5;\n"
    )


def render_window_keys(table: Table) -> str:
    key = ", ".join(_ident(k) for k in ("org_id", *table.key))
    time = _ident(table.time_column)
    return (
        f"-- The key check of one landed window of {table.qualified_name}: rows and distinct keys\n"
        "-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key\n"
        "-- may repeat.\n"
        "SELECT\n"
        "    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,\n"
        f"    (SELECT count(*) FROM (SELECT DISTINCT {key} FROM read_parquet($files))) AS parquet_keys,\n"
        f"    (SELECT count(*) FROM {_qualified(table)}\n"
        f"        WHERE org_id = $org_id AND {time} >= $window_start AND {time} < $window_end\n"
        "    ) AS duckdb_rows;\n"
    )


def render_all(tables: list[Table]) -> dict[str, str]:
    """Query name -> SQL text of every generated file."""
    files = {create_schema_query(s): render_create_schema(s) for s in {t.schema for t in tables}}
    for table in tables:
        files[create_table_query(table)] = render_create_table(table)
        files[delete_window_query(table)] = render_delete_window(table)
        files[insert_query(table)] = render_insert(table)
        files[window_keys_query(table)] = render_window_keys(table)
        files[check_staged_query(table)] = render_check_staged(table)
        files[duplicate_keys_query(table)] = render_duplicate_keys(table)
    return dict(sorted(files.items()))


def stale_files(root: Path = SQL_ROOT, tables: list[Table] | None = None) -> list[str]:
    """Names of generated files that are missing or differ from what the schemas give."""
    files = render_all(list(TABLES.values()) if tables is None else tables)
    stale = []
    for name, text in files.items():
        path = root / f"{name}.sql"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


def write_all(root: Path = SQL_ROOT, tables: list[Table] | None = None) -> list[str]:
    """Write every generated file that changed; return their names."""
    files = render_all(list(TABLES.values()) if tables is None else tables)
    changed = stale_files(root, tables)
    for name in changed:
        path = root / f"{name}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[name], encoding="utf-8")
    return changed


def _qualified(table: Table) -> str:
    return f"{_ident(table.schema)}.{_ident(table.name)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate queries/sql/{ddl,load,checks} per table."
    )
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.check:
        stale = stale_files()
        for name in stale:
            log.error("stale: queries/sql/%s.sql", name)
        return 1 if stale else 0
    for name in write_all():
        log.info("wrote queries/sql/%s.sql", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
