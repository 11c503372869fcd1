"""Issue 21, sixth pass: the client's CPU per Search request against a bare httpx loop's.

    .venv/bin/python -m bench.bench_http_path --url URL [--day 2026-11-18] [--pages 60]
        [--rounds 3]

Against a warm sandbox (its answers cached, so the sandbox is not what is measured): the first
``--pages`` pages of one UTC day of the taskDetails query (250-task pages, gzipped over 1 MB) and
of the task query (100-task pages, plain), sent the same way two ways, alternated ``--rounds``
times: ``bare``, an ``httpx.Client`` posting ``orjson.dumps`` of the body and reading
``response.content`` (the bare loop's HTTP, without its parse), and ``client``, the pipeline's
``SearchClient`` request (``WxccHttp``: token, tracking id, limiter slot, retries, stats) reading
the same ``response.content``. Prints CPU ms a request (``process_time`` of this process, best
round) per query and way. To compare two trees, run it with each tree's code first on
``sys.path`` (``cd TREE && TREE/.venv/bin/python -m bench.bench_http_path``), alternated.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import orjson

import queries
from bench._support import DAY_MS, sandbox_tokens
from pipelines.sources.http import WxccHttp
from pipelines.sources.search import SearchClient

QUERIES = (("task_details", "taskDetails", "NA"), ("task", "task", "0"))


def _cursors(
    http: httpx.Client, name: str, root: str, first: str, window: dict[str, int], pages: int
) -> list[dict[str, object]]:
    """The variables of the first ``pages`` pages of ``name`` (this also warms the cache)."""
    found: list[dict[str, object]] = []
    cursor: str | None = first
    while cursor is not None and len(found) < pages:
        variables = {**window, "cursor": cursor}
        found.append(variables)
        body = {"query": queries.graphql(name), "variables": variables}
        answer = http.post("/search", content=orjson.dumps(body))
        answer.raise_for_status()
        info = orjson.loads(answer.content)["data"][root]["pageInfo"]
        cursor = info["endCursor"] if info["hasNextPage"] else None
    return found


def _cpu_ms(fn: Callable[[], object], requests: int) -> float:
    started = time.process_time()
    fn()
    return (time.process_time() - started) / requests * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 18))
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    start = int(datetime.combine(args.day, datetime.min.time(), UTC).timestamp() * 1000)
    window = {"from": start, "to": start + DAY_MS}
    with tempfile.TemporaryDirectory() as state:
        tokens = sandbox_tokens(args.url, Path(state))
        bare = httpx.Client(
            base_url=args.url,
            timeout=60,
            headers={
                "Authorization": f"Bearer {tokens.token()}",
                "Content-Type": "application/json",
            },
        )
        client = SearchClient(WxccHttp(args.url, token_provider=tokens))
        for name, root, first in QUERIES:
            pages = _cursors(bare, name, root, first, window, args.pages)
            text = queries.graphql(name)

            def bare_pass(pages: list[dict[str, object]] = pages, text: str = text) -> None:
                for variables in pages:
                    body = orjson.dumps({"query": text, "variables": variables})
                    answer = bare.post("/search", content=body)
                    answer.raise_for_status()
                    assert answer.content

            def client_pass(pages: list[dict[str, object]] = pages, name: str = name) -> None:
                for number, variables in enumerate(pages, 1):
                    where = f"{name} page {number}"
                    assert client._request(name, variables, where).content

            bare_pass()
            client_pass()  # warm both connections and the token
            best = {"bare": float("inf"), "client": float("inf")}
            for _ in range(args.rounds):
                best["bare"] = min(best["bare"], _cpu_ms(bare_pass, len(pages)))
                best["client"] = min(best["client"], _cpu_ms(client_pass, len(pages)))
            print(
                f"{name}: {len(pages)} requests, CPU ms a request (best of {args.rounds}): "
                f"bare {best['bare']:.3f}, client {best['client']:.3f} "
                f"({best['client'] / best['bare']:.2f}x)"
            )
        bare.close()
        client._http.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
