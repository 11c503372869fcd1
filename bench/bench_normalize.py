"""Normalizer throughput on synthetic ``taskDetails`` records (target: >= 30,000 rows/s).

Run: ``.venv/bin/python bench/bench_normalize.py [--rows N] [--repeat R]``. Records are built in API
shape (nested objects, some null objects, JSON fields as lists/dicts) and round-tripped through
orjson so they look exactly like parsed answers.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import orjson

from warehouse.normalize import records_to_batch
from warehouse.schemas import TASK_DETAILS, Table

TARGET_ROWS_PER_S = 30_000


def _value(graphql_type: str, kind: str, rnd: random.Random, i: int) -> Any:
    if rnd.random() < 0.15:
        return None
    if kind == "instant":
        return 1_700_000_000_000 + i * 1_000
    if kind == "json":
        return (
            [{"name": "skill", "value": rnd.randint(1, 10)}]
            if rnd.random() < 0.5
            else {"b": 1, "a": [1, 2]}
        )
    return {
        "String": lambda: f"value-{rnd.randint(0, 10_000)}",
        "Int": lambda: rnd.randint(0, 1_000),
        "Long": lambda: rnd.randint(0, 10**9),
        "Float": lambda: rnd.random() * 10,
        "Boolean": lambda: rnd.random() < 0.5,
    }[graphql_type]()


def make_records(table: Table, n: int, seed: int = 1) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    records = []
    for i in range(n):
        rec: dict[str, Any] = {}
        for col in table.columns:
            *parents, leaf = col.api_path.split(".")
            node = rec
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = _value(col.graphql_type, col.kind, rnd, i)
        rec["id"] = f"task-{i}"
        if i % 7 == 0:
            rec["lastAgent"] = None
        rec["extraUnselected"] = {"x": 1}
        records.append(rec)
    return orjson.loads(orjson.dumps(records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    records = make_records(TASK_DETAILS, args.rows)
    records_to_batch(TASK_DETAILS, records[:10], "org")  # compile the plan
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        batch = records_to_batch(TASK_DETAILS, records, "org")
        best = min(best, time.perf_counter() - t0)
    rate = args.rows / best
    print(
        f"records_to_batch: {batch.num_rows} rows x {batch.num_columns} columns, best of "
        f"{args.repeat}: {best:.3f} s = {rate:,.0f} rows/s (target {TARGET_ROWS_PER_S:,})"
    )
    if rate < TARGET_ROWS_PER_S:
        raise SystemExit(f"below target: {rate:,.0f} < {TARGET_ROWS_PER_S:,} rows/s")


if __name__ == "__main__":
    main()
