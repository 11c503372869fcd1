"""Compare a warehouse table with the sandbox's ground truth, column by column."""

from __future__ import annotations

import json
from pathlib import Path

from warehouse import duck
from warehouse.schemas import Table


def table_rows(db: Path, table: Table) -> list[tuple]:
    with duck.connect(db, read_only=True) as con:
        return con.sql(f"SELECT * FROM {table.qualified_name} ORDER BY ALL").fetchall()


def differences(
    db: Path, truth_file: Path, table: Table, *, org_id: str | None = None
) -> dict[str, object]:
    """Everything that differs: missing/extra keys, duplicate keys, and per column the keys whose
    value differs (NULL equals NULL; JSON compared as parsed). Empty dict: identical. With
    ``org_id``, only that org's rows of the warehouse are compared."""
    with duck.connect(db, read_only=True) as con:
        if org_id is None:
            loaded = con.sql(f"SELECT * FROM {table.qualified_name}")
        else:
            loaded = con.execute(f"SELECT * FROM {table.qualified_name} WHERE org_id = ?", [org_id])
        names = [d[0] for d in loaded.description]
        got = loaded.fetchall()
        truth = con.sql("SELECT * FROM read_parquet(?)", params=[str(truth_file)])
        truth_names = [d[0] for d in truth.description]
        want = truth.fetchall()
    found: dict[str, object] = {}
    if names != truth_names:
        found["columns"] = (names, truth_names)
        return found
    key_idx = [names.index(k) for k in ("org_id", *table.key)]
    json_cols = {c.name for c in table.columns if c.kind == "json"}

    def keyed(rows: list[tuple]) -> tuple[dict[tuple, tuple], int]:
        out = {tuple(r[i] for i in key_idx): r for r in rows}
        return out, len(rows) - len(out)

    got_by_key, got_dupes = keyed(got)
    want_by_key, _ = keyed(want)
    if got_dupes:
        found["duplicate_keys"] = got_dupes
    if set(got_by_key) != set(want_by_key):
        found["missing"] = sorted(set(want_by_key) - set(got_by_key))[:5]
        found["extra"] = sorted(set(got_by_key) - set(want_by_key))[:5]
    for key in set(got_by_key) & set(want_by_key):
        for i, name in enumerate(names):
            a, b = got_by_key[key][i], want_by_key[key][i]
            if name in json_cols and a is not None and b is not None:
                a, b = json.loads(a), json.loads(b)
            if a != b:
                found.setdefault(name, []).append((key, a, b))  # type: ignore[union-attr]
    return found
