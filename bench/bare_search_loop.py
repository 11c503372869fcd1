"""The floor of the Search path: a bare httpx + orjson loop over every request the Search job sends.

    .venv/bin/python -m bench.bare_search_loop --url URL --from DAY --to DAY [--workers 1]

For each UTC day of ``[from, to)`` and each Search feed (taskDetails, its activities, task,
agentSession, its activities, taskLegDetails): the feed's count query, then its pages by cursor,
each body parsed with ``orjson.loads`` (gzip undone by httpx), and for the activity feeds the
further activity pages of every record (or channel) whose inner ``pageInfo`` says more follow.
Nothing is normalized or written; rows are counted per table the way the pipeline lands them.
Prints one JSON object: rows per warehouse table, pages, requests. Used by
``bench/bench_search_cpu.py``, which times this process (wall and CPU) against the load.

The request bodies are the pipeline's own (query files, variables), so a sandbox serving from
its answer cache answers both from the cache. The pieces are whole days: a day over the
100,000-record cap would be split by the pipeline and is refused here.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta

import httpx
import orjson

import queries

DAY_MS = 86_400_000
CAP = 100_000

# (page query, count query, root, list field, first cursor, more query, key field, key variable,
#  channels, tables fed)
FEEDS = (
    ("task_details", "task_details_count", "taskDetails", "tasks", "NA", None, "", "", False),
    (
        "task_activities",
        "task_details_count",
        "taskDetails",
        "tasks",
        "NA",
        "task_activities_more",
        "id",
        "taskId",
        False,
    ),
    ("task", "task_count", "task", "tasks", "0", None, "", "", False),
    (
        "agent_sessions",
        "agent_sessions_count",
        "agentSession",
        "agentSessions",
        "NA",
        None,
        "",
        "",
        False,
    ),
    (
        "agent_activities",
        "agent_sessions_count",
        "agentSession",
        "agentSessions",
        "NA",
        "agent_activities_more",
        "agentSessionId",
        "sessionId",
        True,
    ),
    (
        "task_leg_details",
        "task_leg_details_count",
        "taskLegDetails",
        "taskLegs",
        "NA",
        None,
        "",
        "",
        False,
    ),
)
TABLE_OF = {
    "task_details": "search.task_details",
    "task_activities": "search.task_activity",
    "task": "search.task",
    "agent_sessions": "search.agent_session",
    "agent_activities": "search.agent_activity",
    "task_leg_details": "search.task_leg_details",
}


def _token(http: httpx.Client) -> str:
    answer = http.post(
        "/v1/access_token",
        data={
            "grant_type": "refresh_token",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "refresh_token": "sandbox-refresh",
        },
    )
    answer.raise_for_status()
    return orjson.loads(answer.content)["access_token"]


class Loop:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.requests = 0
        self.pages = 0
        self.rows: dict[str, int] = {}

    def post(self, name: str, variables: dict[str, object], root: str) -> dict:
        self.requests += 1
        response = self.http.post(
            "/search",
            content=orjson.dumps({"query": queries.graphql(name), "variables": variables}),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        return orjson.loads(response.content)["data"][root]

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n

    def feed(self, feed: tuple, start_ms: int, end_ms: int) -> None:
        page_q, count_q, root, list_field, first, more_q, key_field, key_var, channels = feed
        counted = self.post(count_q, {"from": start_ms, "to": end_ms}, root)[list_field]
        count = 0
        for item in counted[0]["aggregation"] if counted else ():
            if item["name"] == "count":
                count = int(item["value"] or 0)
        if count > CAP and root != "agentSession":
            raise SystemExit(f"{page_q}: {count} records in a day, over the cap: not supported")
        cursor: str | None = first
        window = {"from": start_ms, "to": end_ms}
        while cursor is not None:
            result = self.post(page_q, {**window, "cursor": cursor}, root)
            records = result[list_field]
            self.pages += 1
            info = result["pageInfo"]
            cursor = info["endCursor"] if info["hasNextPage"] else None
            if more_q is None:
                self.add(TABLE_OF[page_q], len(records))
                if page_q == "agent_sessions":
                    self.add(
                        "search.agent_session_channel",
                        sum(len(r.get("channelInfo") or ()) for r in records),
                    )
                continue
            for record in records:
                key = record[key_field]
                if channels:
                    for channel in record.get("channelInfo") or ():
                        n = self._inner(
                            channel["activities"],
                            window,
                            more_q,
                            root,
                            list_field,
                            key_field,
                            key_var,
                            key,
                            channel["channelId"],
                        )
                        self.add(TABLE_OF[page_q], n)
                else:
                    n = self._inner(
                        record["activities"],
                        window,
                        more_q,
                        root,
                        list_field,
                        key_field,
                        key_var,
                        key,
                        None,
                    )
                    self.add(TABLE_OF[page_q], n)

    def _inner(
        self,
        connection: dict,
        window: dict,
        more_q: str,
        root: str,
        list_field: str,
        key_field: str,
        key_var: str,
        key: str,
        channel_id: str | None,
    ) -> int:
        ids = {n["id"] for n in connection["nodes"]}
        info = connection["pageInfo"]
        while info["hasNextPage"]:
            end = info["endCursor"]
            after = str(int(end) + 1) if end.isdigit() else end
            result = self.post(more_q, {**window, key_var: key, "after": after}, root)
            (record,) = [r for r in result[list_field] if r[key_field] == key]
            if channel_id is None:
                page = record["activities"]
            else:
                page = next(c for c in record["channelInfo"] if c["channelId"] == channel_id)[
                    "activities"
                ]
            ids.update(n["id"] for n in page["nodes"])
            info = page["pageInfo"]
        return len(ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--from", dest="start", required=True, type=date.fromisoformat)
    parser.add_argument("--to", dest="end", required=True, type=date.fromisoformat)
    args = parser.parse_args(argv)
    days = [args.start + timedelta(days=d) for d in range((args.end - args.start).days)]
    with httpx.Client(base_url=args.url, timeout=600) as http:
        http.headers["Authorization"] = f"Bearer {_token(http)}"
        loop = Loop(http)
        for feed in FEEDS:  # the job's order: feed after feed, the days of each
            for day in days:
                start = int(datetime.combine(day, datetime.min.time(), UTC).timestamp() * 1000)
                loop.feed(feed, start, start + DAY_MS)
    sys.stdout.write(
        orjson.dumps({**loop.rows, "pages": loop.pages, "requests": loop.requests}).decode() + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
