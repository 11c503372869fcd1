"""SQL that follows from a table's definition, rendered at run time from the table catalog.

One template per kind of statement, filled from the :class:`~warehouse.schemas.Table` with
identifiers quoted by :func:`ident` (DuckDB cannot bind identifiers); values stay bound
parameters, except the window file paths of a view, which a view cannot take as parameters and
which are quoted as string literals by :func:`literal`. The rendered text of every catalog table
is snapshotted by ``tests/warehouse/test_ddl.py`` (``python -m warehouse.ddl`` rewrites the
snapshot after a schema change). Statements a person writes live in ``queries/sql``.

Kinds:

- ``create_view``: the warehouse's relation of a table: its current window files, each column
  cast to the warehouse's type (JSON stays JSON), in the catalog's column order;
- ``empty_view``: the same relation for a table with no window yet;
- ``check_window``: one aggregate over a window file before it becomes current: rows, distinct
  64-bit hashes of the key (``KEY_HASH``), rows of another org, rows without a window time, the
  window time's span, and per key column the rows without it;
- ``distinct_keys``: the exact count of distinct keys, run only when some keys share a hash (a
  repeated key always does; two different keys rarely do, and must not fail the check);
- ``duplicate_keys``: up to five keys that repeat in a window file, for the error message.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa

from warehouse.schemas import UTC_MS, Table

log = logging.getLogger(__name__)

SNAPSHOT = Path(__file__).resolve().parents[1] / "tests" / "warehouse" / "rendered_sql.snapshot"

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

_CREATE_VIEW = """\
CREATE OR REPLACE VIEW {table} AS
SELECT
    {columns}
FROM read_parquet([{files}], hive_partitioning = false);
"""

_EMPTY_VIEW = """\
CREATE OR REPLACE VIEW {table} AS
SELECT
    {nulls}
WHERE false;
"""

# A distinct count of one 64-bit hash a row costs a third of the CPU and a fifth of the page
# faults of a distinct count of the key's strings (bench/README.md, issue 21, sixth pass).
KEY_HASH = "hash({key})"

_CHECK_WINDOW = """\
SELECT
    count(*),
    count(DISTINCT {key_hash}),
    count(*) FILTER (WHERE org_id IS DISTINCT FROM $org_id),
    count(*) FILTER (WHERE {time} IS NULL),
    epoch_ms(min({time})),
    epoch_ms(max({time})){key_nulls}
FROM read_parquet($file);
"""

_DISTINCT_KEYS = """\
SELECT count(*) FROM (SELECT DISTINCT {key} FROM read_parquet($file));
"""

_DUPLICATE_KEYS = """\
SELECT {key}, n, count(*) OVER ()
FROM (
    SELECT {key}, count(*) AS n
    FROM read_parquet($file)
    GROUP BY {key}
    HAVING count(*) > 1
)
ORDER BY {key}
LIMIT 5;
"""


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted SQL string literal, for what a statement cannot bind (a view's file list)."""
    return "'" + text.replace("'", "''") + "'"


def duckdb_type(field: pa.Field) -> str:
    """DuckDB type of one column of a table's Arrow schema."""
    if (field.metadata or {}).get(b"kind") == b"json":
        return "JSON"
    return DUCKDB_TYPES[field.type]


def key_columns(table: Table) -> list[str]:
    return ["org_id", *table.key]


def render_create_schema(schema: str) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {ident(schema)};\n"


def render_create_view(schema: str, name: str, arrow: pa.Schema, files: Sequence[str]) -> str:
    """The view ``schema.name`` of columns ``arrow`` over ``files`` (an empty view without)."""
    table = f"{ident(schema)}.{ident(name)}"
    if not files:
        nulls = ",\n    ".join(f"CAST(NULL AS {duckdb_type(f)}) AS {ident(f.name)}" for f in arrow)
        return _EMPTY_VIEW.format(table=table, nulls=nulls)
    columns = ",\n    ".join(
        f"CAST({ident(f.name)} AS {duckdb_type(f)}) AS {ident(f.name)}" for f in arrow
    )
    return _CREATE_VIEW.format(
        table=table, columns=columns, files=", ".join(literal(f) for f in files)
    )


def render_create_table(table: Table) -> str:
    """An empty native table of ``table``'s columns and key: for working sets in memory (tests,
    docs, benchmarks); the warehouse itself publishes views over window files."""
    columns = ",\n    ".join(
        f"{ident(f.name)} {duckdb_type(f)}" + (" NOT NULL" if f.name in key_columns(table) else "")
        for f in table.arrow
    )
    key = ", ".join(map(ident, key_columns(table)))
    return (
        f"CREATE TABLE IF NOT EXISTS {ident(table.schema)}.{ident(table.name)} (\n"
        f"    {columns},\n    PRIMARY KEY ({key})\n);\n"
    )


def render_copy_table(schema: str, name: str, relation: str) -> str:
    """A table ``schema.name`` holding the rows of a registered relation (the ops tables)."""
    return f"CREATE TABLE {ident(schema)}.{ident(name)} AS SELECT * FROM {ident(relation)};\n"


def render_drop_table(schema: str, name: str) -> str:
    return f"DROP TABLE IF EXISTS {ident(schema)}.{ident(name)};\n"


def render_check_window(table: Table) -> str:
    key_nulls = "".join(
        f",\n    count(*) FILTER (WHERE {ident(k)} IS NULL)" for k in key_columns(table)
    )
    key = ", ".join(map(ident, key_columns(table)))
    return _CHECK_WINDOW.format(
        key_hash=KEY_HASH.format(key=key),
        time=ident(table.time_column),
        key_nulls=key_nulls,
    )


def render_distinct_keys(table: Table) -> str:
    return _DISTINCT_KEYS.format(key=", ".join(map(ident, key_columns(table))))


def render_duplicate_keys(table: Table) -> str:
    return _DUPLICATE_KEYS.format(key=", ".join(map(ident, key_columns(table))))


def render_all(tables: Iterable[Table]) -> str:
    """Every kind for every table, as the snapshot holds it (views over two example files)."""
    parts = []
    for table in sorted(tables, key=lambda t: t.qualified_name):
        example = [f"/data/{table.name}/a.parquet", f"/data/{table.name}/it's.parquet"]
        for kind, text in (
            ("create_view", render_create_view(table.schema, table.name, table.arrow, example)),
            ("empty_view", render_create_view(table.schema, table.name, table.arrow, [])),
            ("create_table", render_create_table(table)),
            ("check_window", render_check_window(table)),
            ("distinct_keys", render_distinct_keys(table)),
            ("duplicate_keys", render_duplicate_keys(table)),
        ):
            parts.append(f"-- {table.qualified_name}: {kind}\n{text}")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    from warehouse.catalog import TABLES  # the catalog imports every family's schemas

    parser = argparse.ArgumentParser(description="Rewrite the snapshot of the rendered SQL.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the snapshot is stale")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    text = render_all(TABLES.values())
    if args.check:
        stale = not SNAPSHOT.is_file() or SNAPSHOT.read_text(encoding="utf-8") != text
        if stale:
            log.error("stale: %s", SNAPSHOT)
        return 1 if stale else 0
    SNAPSHOT.write_text(text, encoding="utf-8")
    log.info("wrote %s", SNAPSHOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
