"""Selections are built once per query text and rebound to each request's variables
(``sandbox.search.plan``): what differs between two requests of one query must differ in the
trees, what does not is shared, and a directive holding a variable is never templated."""

from __future__ import annotations

from sandbox.search.plan import Sel, compile_operation

MORE = """query($from: Long!, $to: Long!, $id: String!, $after: String!, $first: Int) {
  taskDetails(from: $from, to: $to, filter: {id: {equals: $id}}) {
    tasks { id lastQueue { id name } activities(first: $first, after: $after) {
      nodes { id createdTime } pageInfo { hasNextPage endCursor } } }
  }
}"""
SKIP = """query($from: Long!, $to: Long!, $withTeam: Boolean!, $after: String) {
  taskDetails(from: $from, to: $to) {
    tasks { id lastTeam @include(if: $withTeam) { name } activities(after: $after) { totalCount } }
  }
}"""


def _find(sel: Sel, *path: str) -> Sel:
    for name in path:
        (sel,) = sel.child(name)
    return sel


def _root(query: str, variables: dict[str, object]) -> Sel:
    return compile_operation(query, {"from": 0, "to": 1, **variables}, None).roots[0].sel


def test_a_variable_in_a_nested_argument_is_bound_again_each_request() -> None:
    first = _root(MORE, {"id": "a", "after": "100", "first": 5})
    second = _root(MORE, {"id": "b", "after": "50", "first": None})
    assert first.args["filter"] == {"id": {"equals": "a"}}
    assert second.args["filter"] == {"id": {"equals": "b"}}
    acts1, acts2 = _find(first, "tasks", "activities"), _find(second, "tasks", "activities")
    assert acts1.args == {"first": 5, "after": "100"}
    assert acts2.args == {"first": None, "after": "50"}
    # the fields without variables are the template's own objects; the path to them is not
    assert _find(first, "tasks", "lastQueue") is _find(second, "tasks", "lastQueue")
    assert _find(first, "tasks") is not _find(second, "tasks")
    assert [c.name for c in _find(second, "tasks").children] == ["id", "lastQueue", "activities"]


def test_a_directive_with_a_variable_rebuilds_the_tree() -> None:
    with_team = _root(SKIP, {"withTeam": True, "after": "1"})
    without = _root(SKIP, {"withTeam": False, "after": "2"})
    again = _root(SKIP, {"withTeam": True, "after": "3"})
    assert [c.name for c in _find(with_team, "tasks").children] == ["id", "lastTeam", "activities"]
    assert [c.name for c in _find(without, "tasks").children] == ["id", "activities"]
    assert [c.name for c in _find(again, "tasks").children] == ["id", "lastTeam", "activities"]
    assert _find(again, "tasks", "activities").args["after"] == "3"
