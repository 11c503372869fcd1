"""Cisco's published samples that test_fidelity.py does not cover, run against the sandbox.

These are the samples of Cisco's reporting-samples repository beyond the project's first copies:
its "More Examples" folder, the second and third pages of its paging examples ("Pagination query
2/3", "Pagination 2/3", aggregation pagination 2), inner pagination of activities (CAR and AAR),
extFilter examples, and samples Cisco published earlier and later removed (see
tests/fixtures/samples_more/ATTRIBUTION.md). Each runs with its window moved into the sandbox's history
and its literals mapped onto one sandbox record, as test_fidelity.py does; besides, cursors are
mapped too:

- a raw page index (``cursor: "4"``) names a page of the sandbox's own answer: the last page when
  the published answer is a last page (``hasNextPage: false``), else the same index, in a window
  widened (up to 30 days) until that page and the next exist;
- an aggregation cursor (``agentId=...::channelInfo.activities.nodes.state=ringing``) keeps its
  fields and takes the reference record's values;
- an agentSession activities cursor (``after: "1698273611061"``) becomes the start time of the
  second newest activity of the channel the query filters on.

The answer must have the published structure, with rows wherever the published answer has rows;
samples published without an answer must run and return rows (realtime ones may be empty).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import (
    ArgumentNode,
    FieldNode,
    IntValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    parse,
    print_ast,
)
from graphql.language import DocumentNode, NameNode, SelectionSetNode

from sandbox.app import create_app
from sandbox.auth import CLIENT_ID, CLIENT_SECRET
from sandbox.budget import ManualClock
from sandbox.search.filters import SKILL_FIELDS
from sandbox.search.roots import root as root_spec
from tests.sandbox import test_fidelity as fidelity
from tests.sandbox._search_support import DAY_MS, NOW_MS, AsgiClient, tenant

# Kept apart from test_fidelity.py's copies (that module lists its folders whole).
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples_more"
GRAPHQL_SAMPLE = SAMPLES / "webexsamples_reporting" / "graphql-sample"
# The samples this module runs (every other sample file is test_fidelity.py's).
ADDED: list[str] = sorted(
    [str(p.relative_to(SAMPLES)) for p in (GRAPHQL_SAMPLE / "More Examples").glob("*.graphql")]
    + [
        "webexsamples_reporting/graphql-sample/" + name
        for name in (
            "agentSession/Performing Aggregations/Aggregation Pagination 2.graphql",
            "agentSession/Performing Aggregations/AggregationPaginationQueryForAAR2.graphql",
            "agentSession/Performing Aggregations/Group by multiple fields query2.graphql",
            "agentSession/Raw Data Fetching/AggregationWithinnerPaginattionAAR.graphql",
            "agentSession/Raw Data Fetching/FitleringOnextFilter.graphql",
            "agentSession/Raw Data Fetching/Pagination 2.graphql",
            "agentSession/Raw Data Fetching/Pagination 3.graphql",
            "agentSession/Raw Data Fetching/binaryFilterOperation.graphql",
            "agentSession/Raw Data Fetching/extFilteringOnComplexObject.graphql",
            "agentSession/Raw Data Fetching/innerPagination.graphql",
            "taskDetails/Performing Aggregations/Aggregation pagination query 2.graphql",
            "taskDetails/Performing Aggregations/AggregationQueryWithPaginationForCAR2.graphql",
            "taskDetails/Performing Aggregations/AggregationWithinnerPaginattionCAR.graphql",
            "taskDetails/Performing Aggregations/Group by multiple fields 2.graphql",
            "taskDetails/Performing Aggregations/innerPagination.graphql",
            "taskDetails/Samples for Raw Data Fetching/Filtering using extFilters.graphql",
            "taskDetails/Samples for Raw Data Fetching/Pagination query 2.graphql",
            "taskDetails/Samples for Raw Data Fetching/Pagination query 3.graphql",
            "taskDetails/Samples for Raw Data Fetching/binaryFilterOperators.graphql",
            "taskDetails/Samples for Raw Data Fetching/extFilteringOnComplexObjects.graphql",
            "taskDetails/Samples for Raw Data Fetching/innerPagination.graphql",
            "taskLegDetails/Fetching Raw Data/Pagination 2.graphql",
            "taskLegDetails/Performing Aggregations/Group by Aggregation with Pagination 2.graphql",
            "taskLegDetails/Performing Aggregations/Group bys multiple fields query 2.graphql",
        )
    ]
)
# Published answers whose file name does not follow the query's (Cisco's spelling).
ANSWER_NAMES = {
    "taskDetails/Performing Aggregations/innerPagination.graphql": "innerPagiantion-response.json",
    "taskDetails/Performing Aggregations/AggregationQueryWithPaginationForCAR2.graphql": (
        "AggregationQueryWithPaginationForCAR2.json"
    ),
    "agentSession/Raw Data Fetching/FitleringOnextFilter.graphql": (
        "FilteringOnextFilter-response.json"
    ),
}
# Realtime samples whose filter the data need not satisfy at the sandbox's now.
MAY_BE_EMPTY = {"webexsamples_reporting/graphql-sample/More Examples/realTimeQueuedTasks.graphql"}
WIDEST_DAYS = 30


def answer_file(query_file: str) -> Path | None:
    query = SAMPLES / query_file
    relative = query_file.split("graphql-sample/", 1)[1]
    if relative in ANSWER_NAMES:
        return query.parent / ANSWER_NAMES[relative]
    stem = query.name.removesuffix(".graphql").strip().replace(" ", "")
    for p in sorted(query.parent.glob("*.json")):
        if p.name.removesuffix(".json").replace(" ", "").removesuffix("-response") == stem:
            return p
    return None


class SampleMap(fidelity.ReferenceMap):
    """test_fidelity's reference-record mapping, plus skills and agentSession activity cursors."""

    def value(self, path: list[str], literal: str) -> str:
        if path[0] in SKILL_FIELDS and path[-1] == "name":
            # a proficiency skill, so an ``intVal`` condition next to it can hold
            for skill in self.record.get(path[0]) or ():
                if skill.get("type") == "proficiency":
                    return str(skill["name"])
        return super().value(path, literal)

    def after(self) -> str:
        channels = self.record.get("channelInfo")
        if channels is None:
            return super().after()
        nodes = sorted(channels[0]["_activities"], key=lambda n: n["startTime"], reverse=True)
        return str(nodes[1]["startTime"]) if len(nodes) > 1 else ""


class _Recorder(fidelity._PathRecorder):
    """Notes the paths a query's literals sit at (any record's activities will do for cursors)."""

    def after(self) -> str:
        return ""


def _root_field(doc: DocumentNode) -> FieldNode:
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    root = op.selection_set.selections[0]
    assert isinstance(root, FieldNode)
    return root


def _with_arguments(text: str, change: Callable[[str, Any], Any]) -> str:
    """``text`` with each root argument value replaced by ``change(name, value)``."""
    doc = parse(text)
    root = _root_field(doc)
    args = tuple(
        ArgumentNode(name=a.name, value=change(a.name.value, a.value)) for a in root.arguments or ()
    )
    new_root = FieldNode(
        alias=root.alias,
        name=root.name,
        arguments=args,
        directives=root.directives,
        selection_set=root.selection_set,
    )
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    new_op = OperationDefinitionNode(
        operation=op.operation,
        name=op.name,
        variable_definitions=op.variable_definitions,
        directives=op.directives,
        selection_set=SelectionSetNode(selections=(new_root,)),
    )
    return print_ast(DocumentNode(definitions=(new_op,)))


def _cursor(text: str) -> str | None:
    for a in _root_field(parse(text)).arguments or ():
        if a.name.value == "pagination" and isinstance(a.value, ObjectValueNode):
            for f in a.value.fields:
                if f.name.value == "cursor" and isinstance(f.value, StringValueNode):
                    return f.value.value
    return None


def with_arguments(text: str, **values: Any) -> str:
    """``text`` with these root arguments set (``from``/``to`` as ints, ``cursor`` a string)."""

    def change(name: str, value: Any) -> Any:
        if name in ("from", "to") and name in values:
            return IntValueNode(value=str(values[name]))
        if name == "pagination" and "cursor" in values:
            return ObjectValueNode(
                fields=(
                    ObjectFieldNode(
                        name=NameNode(value="cursor"), value=StringValueNode(value=values["cursor"])
                    ),
                )
            )
        return value

    return _with_arguments(text, change)


def map_key_cursor(cursor: str, m: fidelity.EntityMap) -> str:
    """An aggregation cursor ``field=value::field=value`` with each value taken from ``m``."""
    parts = []
    for part in cursor.split("::"):
        field, _, value = part.partition("=")
        path = field.split(".")
        mapped = value if value == "null" else m.value(path, value)
        parts.append(f"{field}={mapped}")
    return "::".join(parts)


def adapt(text: str, m: fidelity.EntityMap) -> str:
    """test_fidelity's adaptation, plus an aggregation cursor mapped onto ``m``."""
    query = fidelity.adapt(text, m)
    cursor = _cursor(query)
    if cursor is not None and "=" in cursor:
        query = with_arguments(query, cursor=map_key_cursor(cursor, m))
    return query


def adapt_with_reference(
    text: str, base: fidelity.EntityMap, post: Callable[[str], dict[str, Any]], candidates: int = 40
) -> tuple[str, dict[str, Any], bool]:
    """Adapt ``text`` onto the first reference record for which it returns rows."""
    root = fidelity.root_of(text)
    recorder = _Recorder(base)
    fidelity.adapt(text, recorder)
    paths = recorder.paths

    def fit(r: dict[str, Any]) -> tuple[int, int]:
        present = sum(1 for p in paths if next(fidelity._collect(r, p), None) is not None)
        return (present, fidelity._richness(r))

    for record in sorted(base.records, key=fit, reverse=True)[:candidates]:
        query = adapt(text, SampleMap(base, record))
        body = post(query)
        if fidelity._rows(body, root):
            return query, body, True
    query = adapt(text, base)
    return query, post(query), False


def _count(query: str, post: Callable[[str], dict[str, Any]]) -> int:
    """How many records the raw query's window and filter hold (its count aggregation)."""
    doc = parse(query)
    root = _root_field(doc)
    keep = [
        a
        for a in root.arguments or ()
        if a.name.value in ("from", "to", "filter", "timeComparator")
    ]
    args = ", ".join(print_ast(a) for a in keep)
    list_field = fidelity._LIST_FIELDS.get(root.name.value, "taskLegs")
    count = (
        f"{{ {root.name.value}({args}, aggregations: "
        f'[{{field: "id", type: count, name: "n"}}]) {{ {list_field} {{ aggregation {{ value }} }} }} }}'
    )
    rows = fidelity._rows(post(count), root.name.value)
    return int(rows[0]["aggregation"][0]["value"]) if rows else 0


def page_through(
    text: str, published: dict[str, Any] | None, post: Callable[[str], dict[str, Any]]
) -> str:
    """A raw page-index cursor of a published page mapped onto a page of the sandbox's answer."""
    cursor = _cursor(text)
    root = fidelity.root_of(text)
    spec = root_spec(root)
    if cursor is None or not cursor.isdigit() or int(cursor) == 0 or spec.key_cursor:
        return text
    size = spec.page_size
    last_page = published is not None and not _published_page_info(published)["hasNextPage"]
    start, end = fidelity.WINDOWS[root]
    days = 2
    while True:
        query = with_arguments(text, **{"from": end - days * DAY_MS, "to": end})
        total = _count(query, post)
        pages = -(-total // size)
        if last_page and pages >= 2:
            return with_arguments(query, cursor=str(pages - 1))
        if not last_page and pages > int(cursor) + 1:
            return query
        if days >= WIDEST_DAYS:
            raise AssertionError(f"{total} records in {days} days: no page {cursor}")
        days = min(days * 2, WIDEST_DAYS)


def _published_page_info(published: dict[str, Any]) -> dict[str, Any]:
    (value,) = published["data"].values()
    info: dict[str, Any] = value["pageInfo"]
    return info


@pytest.fixture(scope="module")
def post() -> Callable[[str], dict[str, Any]]:
    app = create_app(tenant(), now_ms=NOW_MS, clock=ManualClock(NOW_MS / 1000), budget_per_minute=0)
    client = AsgiClient(app)
    token = client.post(
        "/v1/access_token",
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": "sandbox-refresh",
        },
    ).json()["access_token"]

    def run(query: str) -> dict[str, Any]:
        response = client.post(
            "/search", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text[:500]
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body["errors"]
        return body

    return run


@pytest.fixture(scope="module")
def maps() -> dict[str, fidelity.EntityMap]:
    return {root: fidelity.EntityMap(root) for root in fidelity.WINDOWS}


@pytest.mark.parametrize("query_file", ADDED, ids=[q.split("graphql-sample/")[1] for q in ADDED])
def test_published_sample(
    query_file: str,
    maps: dict[str, fidelity.EntityMap],
    post: Callable[[str], dict[str, Any]],
) -> None:
    text = (SAMPLES / query_file).read_text(encoding="utf-8")
    answer = answer_file(query_file)
    published = fidelity._renamed(orjson.loads(answer.read_bytes())) if answer else None
    root = fidelity.root_of(text)
    query, ours, found = adapt_with_reference(text, maps[root], post)
    paged = page_through(query, published, post)
    if paged != query:
        query, ours = paged, post(paged)
    rows = fidelity._rows(ours, root)
    if query_file not in MAY_BE_EMPTY:
        assert rows, "no rows"
    if published is not None:
        fidelity.assert_same_structure(published, ours)
    for row in rows:
        assert isinstance(row, dict)


def test_paged_samples_reach_later_pages(
    maps: dict[str, fidelity.EntityMap], post: Callable[[str], dict[str, Any]]
) -> None:
    """Pagination query 3 is the last page of a paged answer; Pagination 2 of the legs a middle
    page: both keep their cursor's meaning in the sandbox."""
    raw = "webexsamples_reporting/graphql-sample/taskDetails/Samples for Raw Data Fetching/"
    text = (SAMPLES / raw / "Pagination query 3.graphql").read_text(encoding="utf-8")
    published = orjson.loads((SAMPLES / raw / "Pagination query 3-response.json").read_bytes())
    query, _ours, _found = adapt_with_reference(text, maps["taskDetails"], post)
    last = page_through(query, published, post)
    cursor = _cursor(last)
    assert cursor is not None and int(cursor) >= 1
    info = post(last)["data"]["taskDetails"]["pageInfo"]
    assert info == {"hasNextPage": False, "endCursor": None}
    legs = "webexsamples_reporting/graphql-sample/taskLegDetails/Fetching Raw Data/"
    text = (SAMPLES / legs / "Pagination 2.graphql").read_text(encoding="utf-8")
    published = orjson.loads((SAMPLES / legs / "Pagination 2 - response.json").read_bytes())
    query, _ours, _found = adapt_with_reference(text, maps["taskLegDetails"], post)
    middle = post(page_through(query, published, post))["data"]["taskLegDetails"]
    assert len(middle["taskLegs"]) == root_spec("taskLegDetails").page_size
    assert middle["pageInfo"] == {"hasNextPage": True, "endCursor": "2"}


def test_every_added_sample_is_listed() -> None:
    everything = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.graphql")}
    assert everything == set(ADDED)
    answers = [answer_file(q) for q in ADDED]
    assert sum(a is not None for a in answers) == 24
