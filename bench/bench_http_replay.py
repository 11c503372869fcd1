"""Issue 21, sixth pass: the CPU of the load's Search requests alone, replayed against a warm sandbox.

    .venv/bin/python -m bench.bench_http_replay --url URL --record BODIES.pkl   # once
    .venv/bin/python -m bench.bench_http_replay --url URL --replay BODIES.pkl --way WAY

``--record`` runs ``bench.bare_search_loop`` over 2026-11-18..20 (the load's two days) and keeps
the body of every ``/search`` request it sends (6,158 at 60,000 tasks a day: the load's). A
``--replay`` sends them again one by one and reads each answer whole, by one of four ways:
``httpx`` (a plain ``httpx.Client``: zlib inflating gzip answers chunk by chunk), ``inflating``
(the same client over :class:`pipelines.sources.http.InflatingTransport`), ``client``
(``WxccHttp.request`` with a token provider, as ``SearchClient`` sends) and ``decode``
(``client``, then each page of a decoded feed through its ``PageDecoder``, as the page producer
does). Prints the CPU seconds (user, sys) and minor page faults of the replay. Run each tree's
code from that tree (``cd TREE && TREE/.venv/bin/python -m bench.bench_http_replay``), alternated.
"""

from __future__ import annotations

import argparse
import functools
import pickle
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

import queries

# The query each decoded feed pages through.
DECODED = {
    "task_details": "task_details",
    "task_activities": "task_activity",
    "task_leg_details": "task_leg_details",
    "agent_activities": "agent_activity",
}


def record(url: str, out: Path) -> None:
    from bench import bare_search_loop

    bodies: list[bytes] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/search":
                bodies.append(request.content)
            return super().handle_request(request)

    client = functools.partial(httpx.Client, transport=Recording())
    bare_search_loop.httpx = type("_Httpx", (), {"Client": client})  # type: ignore[assignment]
    bare_search_loop.main(["--url", url, "--from", "2026-11-18", "--to", "2026-11-20"])
    out.write_bytes(pickle.dumps(bodies))


def _fetcher(url: str, way: str, bodies: list[bytes]) -> Callable[[int], bytes]:
    from bench._support import sandbox_tokens
    from pipelines.sources.http import WxccHttp

    tokens = sandbox_tokens(url, Path(tempfile.mkdtemp()))
    if way in ("httpx", "inflating"):
        transport: httpx.BaseTransport | None = None
        if way == "inflating":  # this tree's; main's code before the sixth pass has none
            from pipelines.sources.http import InflatingTransport

            transport = InflatingTransport(httpx.HTTPTransport())
        plain = httpx.Client(
            base_url=url,
            timeout=600,
            transport=transport,
            headers={
                "Authorization": f"Bearer {tokens.token()}",
                "Content-Type": "application/json",
            },
        )
        return lambda i: plain.post("/search", content=bodies[i]).content
    http = WxccHttp(url, token_provider=tokens)
    requests = [orjson.loads(body) for body in bodies]
    return lambda i: http.request("POST", "/search", json=requests[i]).content


def replay(url: str, bodies: list[bytes], way: str) -> dict[str, Any]:
    fetch = _fetcher(url, way, bodies)
    decoders: list[Any] = [None] * len(bodies)
    if way == "decode":
        from pipelines.assets.search import FEEDS

        by_text = {
            queries.graphql(query): feed.decoder
            for feed in FEEDS
            for query, name in DECODED.items()
            if feed.name == name and feed.decoder is not None
        }
        for i, body in enumerate(bodies):
            request = orjson.loads(body)
            if "cursor" in request["variables"]:  # a page by cursor, not a further inner page
                decoders[i] = by_text.get(request["query"])
    fetch(0)  # the connection and the token
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    plain_bytes = decoded = 0
    for i, decoder in enumerate(decoders):
        content = fetch(i)
        plain_bytes += len(content)
        if decoder is not None:
            decoded += decoder.decode(content) is not None
        del content
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, sys_ = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {
        "way": way,
        "requests": len(bodies),
        "plain_GB": round(plain_bytes / 1e9, 2),
        "decoded_pages": decoded,
        "user_s": round(user, 2),
        "sys_s": round(sys_, 2),
        "cpu_s": round(user + sys_, 2),
        "cpu_ms_a_request": round((user + sys_) / len(bodies) * 1000, 3),
        "wall_s": round(time.monotonic() - started, 1),
        "minor_faults": after.ru_minflt - before.ru_minflt,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--record", type=Path)
    parser.add_argument("--replay", type=Path)
    parser.add_argument(
        "--way", choices=("httpx", "inflating", "client", "decode"), default="client"
    )
    args = parser.parse_args(argv)
    if args.record is not None:
        record(args.url, args.record)
    if args.replay is not None:
        bodies = pickle.loads(args.replay.read_bytes())
        print(orjson.dumps(replay(args.url, bodies, args.way)).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
