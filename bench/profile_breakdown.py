"""Where a profiled load spent its time: py-spy's raw stacks, summed by what the code was doing.

    .venv/bin/python -m bench.profile_breakdown FILE [--top 15] [--by-feed]

``FILE`` is ``py-spy record --idle --threads --format raw`` output (one collapsed stack and its
sample count a line; ``bench/bench_search_cpu.py --py-spy DIR`` writes one). Each stack is put in
the first category whose rule matches one of its frames, walking from the innermost frame out,
so a frame of the normalizer called by Dagster counts as normalizing. Samples of a thread that
was waiting (py-spy's ``--idle``: in a lock, a sleep, a socket read) are counted apart from
those that ran, per category, so the table shows CPU and waits. Printed: samples and share per
category, running and idle, and the top innermost frames of the running samples. With
``--by-feed`` (a profile with ``--threads``, ``--subprocesses`` for the lane processes): the
running samples per Search feed, from the names of its threads (``pages-<feed>`` fetching and
decoding, ``window-search.<feed>`` landing), and of the processes' main threads.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# (category, pattern on one frame "function (file:line)"): the innermost matching frame decides.
RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("dedupe digest (orjson.dumps + hash per record)", r"_first_sightings"),
        ("decode (orjson.loads of page bytes)", r"(^|\.)(_post|_parse) \(.*sources/search\.py"),
        # Issue 21, third pass: pages decoded by arrow-json, the proof, the rows cut from them.
        ("Arrow decode + proof (warehouse.json_arrow)", r"warehouse/json_arrow\.py"),
        ("activity merge (client)", r"_complete_record|_complete_activities|_add_nodes"),
        ("CAD variables (warehouse.variables)", r"warehouse/variables\.py"),
        # The page loop's own line: rebinding ``page`` frees the previous page's objects.
        ("freeing each page (land_windows' page loop)", r"^land_windows \(.*warehouse/land\.py"),
        ("normalize (warehouse.normalize)", r"warehouse/normalize\.py"),
        ("Parquet write (warehouse.parquet)", r"warehouse/parquet\.py"),
        ("window checks (in-memory DuckDB over the file)", r"check_window_file|_raise_dupl"),
        ("store commit (SQLite)", r"warehouse/store\.py"),
        ("publish (views file)", r"warehouse/publish\.py"),
        ("marts (analytics)", r"warehouse/marts\.py|assets/analytics\.py"),
        ("unique-key checks (assets/checks)", r"assets/checks\.py"),
        ("extraction log (ops)", r"warehouse/ops\.py"),
        ("budget limiter", r"sources/budget\.py|acquire \(.*sources/http\.py"),
        ("HTTP (httpx, gzip, socket)", r"httpx/|httpcore/|h11/|gzip|zlib|ssl\.py|socket\.py"),
        ("token / auth", r"sources/auth\.py"),
        ("search client other", r"sources/search\.py|sources/paging\.py"),
        ("logging", r"logging/__init__\.py|dagster/_core/log_manager|_core/events/log"),
        ("imports (start-up)", r"<frozen importlib\._bootstrap"),
        ("Dagster (runs, events, instance)", r"dagster"),
        ("thread pool idle (waiting for work)", r"concurrent/futures/thread\.py"),
        ("CLI / runner", r"pipelines/(cli|runner|operating)\.py"),
    )
)
OTHER = "other"
_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")


def categorize(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in RULES:
            if pattern.search(frame):
                return name
    return OTHER


def _idle(frames: list[str]) -> bool:
    # py-spy --idle keeps the samples of threads not running Python; their innermost frame is
    # the call that blocked: a wait, a sleep, a socket read.
    leaf = frames[-1] if frames else ""
    return bool(
        re.search(
            r"(^|\.)(wait|_wait_for_tstate_lock|sleep|select|poll|recv_into|recv|read|acquire|"
            r"_recv|readinto|accept|get) \(",
            leaf,
        )
    )


_THREAD = re.compile(r"^thread \(\d+\): (?P<name>.+)$")
_FEED = re.compile(r"^(pages-|window-search\.)(?P<feed>\w+?)(_\d+)?$")


def feed_of(frames: list[str]) -> str:
    """The Search feed a sample's thread worked for, or what else the thread was."""
    for frame in frames:
        thread = _THREAD.match(frame)
        if thread:
            name = thread["name"]
            feed = _FEED.match(name)
            if feed:
                return feed["feed"]
            return "main threads (start-up, Dagster, marts)" if name == "MainThread" else name
    return "(no thread named)"


def by_feed(path: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        match = _LINE.match(line)
        if match:
            frames = match["stack"].split(";")
            if not _idle(frames):
                found[feed_of(frames)] += int(match["count"])
    return found


def breakdown(path: Path) -> tuple[Counter[str], Counter[str], Counter[str]]:
    running: Counter[str] = Counter()
    idle: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        frames = match["stack"].split(";")
        count = int(match["count"])
        name = categorize(frames[1:])  # frames[0] names the thread
        if _idle(frames):
            idle[name] += count
        else:
            running[name] += count
            leaves[frames[-1]] += count
    return running, idle, leaves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--by-feed", action="store_true", help="running samples per feed")
    args = parser.parse_args(argv)
    if args.by_feed:
        feeds = by_feed(args.file)
        total = sum(feeds.values())
        for name, count in feeds.most_common():
            print(f"{name:<52} {count:>8} {100 * count / total:5.1f}%")
        print(f"{'all':<52} {total:>8} {100.0:5.1f}%")
        return 0
    running, idle, leaves = breakdown(args.file)
    total = sum(running.values())
    print(f"{'category':<52} {'running':>8} {'share':>6} {'waiting':>8}")
    for name, count in running.most_common():
        print(f"{name:<52} {count:>8} {100 * count / total:5.1f}% {idle.get(name, 0):>8}")
    for name, count in idle.items():
        if name not in running:
            print(f"{name:<52} {0:>8} {0:5.1f}% {count:>8}")
    print(f"{'all':<52} {total:>8} {100.0:5.1f}% {sum(idle.values()):>8}")
    print("\ninnermost frames of the running samples:")
    for frame, count in leaves.most_common(args.top):
        print(f"{count:>8} {100 * count / total:5.1f}%  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
