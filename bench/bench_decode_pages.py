"""Issue 21, fifth pass: the Arrow decoder's CPU per page against arrow-json's read alone.

    .venv/bin/python -m bench.bench_decode_pages PAGES.pkl [--pages 10] [--repeats 5]

``PAGES.pkl`` is a pickle of {Search query name: [page bytes]} (real answers of the sandbox,
e.g. the lead's ``/work/prof/pages.pkl`` of the warm 60,000-task days). For each feed with a
decoder, over its first ``--pages`` pages: the best of ``--repeats`` passes (``process_time``)
of arro3's ``read_json`` alone, and of what a page costs through the Arrow path:
``PageDecoder.decode`` (read, proof, JSON members, rows) + ``DecodedPage.digests`` +
``to_batch`` of each of the feed's tables. CPU ms a page, one process, and the minor page faults a page of the decoder's passes. To compare two trees,
run it with each tree's ``.venv/bin/python`` from that tree, alternated.
"""

from __future__ import annotations

import argparse
import io
import pickle
import resource
import time
from collections.abc import Callable
from pathlib import Path

from arro3.io import read_json

from pipelines.assets.search import FEEDS, SearchFeed

# The query whose pages each decoded feed reads.
QUERIES = {
    "task_details": "task_details",
    "task_activity": "task_activities",
    "task_leg_details": "task_leg_details",
    "agent_activity": "agent_activities",
}


def _best(fn: Callable[[bytes], object], pages: list[bytes], repeats: int) -> tuple[float, float]:
    """CPU ms a page of the best pass, and the minor page faults a page over all passes."""
    best = float("inf")
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(repeats):
        started = time.process_time()
        for page in pages:
            fn(page)
        best = min(best, time.process_time() - started)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    return best / len(pages) * 1000, faults / len(pages) / repeats


def _read_alone(schema: object) -> Callable[[bytes], object]:
    return lambda content: read_json(io.BytesIO(content), schema).read_all()  # type: ignore[arg-type]


def _through_decoder(feed: SearchFeed) -> Callable[[bytes], object]:
    decoder = feed.decoder
    assert decoder is not None

    def run(content: bytes) -> object:
        page = decoder.decode(content)
        if page is None:
            raise SystemExit(f"{feed.name}: a page was refused by the decoder")
        page.digests()
        return [page.to_batch(table, "org-1") for table in feed.tables]

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("pages", type=Path)
    parser.add_argument("--pages", dest="count", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with args.pages.open("rb") as f:
        stored = pickle.load(f)  # noqa: S301 - a file this project's benches wrote
    print(
        f"{'feed':18} {'MB/page':>8} {'read ms':>8} {'decoded ms':>11} {'ratio':>6}"
        f" {'faults/page':>12}"
    )
    for feed in FEEDS:
        query = QUERIES.get(feed.name)
        if feed.decoder is None or query not in stored:
            continue
        pages = stored[query][: args.count]
        read, _ = _best(_read_alone(feed.decoder.schema), pages, args.repeats)
        decoded, faults = _best(_through_decoder(feed), pages, args.repeats)
        size = sum(map(len, pages)) / len(pages) / 1e6
        print(
            f"{feed.name:18} {size:8.2f} {read:8.2f} {decoded:11.2f} {decoded / read:6.2f}"
            f" {faults:12.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
