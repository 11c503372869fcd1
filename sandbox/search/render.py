"""Projection of data-model records onto a selection, compiled to Python once per selection.

Raw-record pages are the bulk of what the service serves, so instead of walking the selection for
every record (what a GraphQL executor does) the selection is turned into the source of a small
function building the output dict literally, in selection order; keys and constants enter the
source only through ``repr()`` of strings the schema validated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sandbox.search.errors import QueryError
from sandbox.search.filters import Predicate
from sandbox.search.plan import Sel
from sandbox.search.schema import FIELD_ALIASES, GLOBAL_VARIABLE_FIELDS

Renderer = Callable[[Mapping[str, Any]], dict[str, Any]]

_EMPTY: Mapping[str, Any] = {}
MAX_ACTIVITIES_PAGE = 100


class _Builder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {"E": _EMPTY}
        self.counter = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def compile(self, top: str) -> Renderer:
        namespace = dict(self.namespace)
        exec(compile("\n".join(self.lines), "<search-projection>", "exec"), namespace)  # noqa: S102
        renderer: Renderer = namespace[top]
        return renderer


def _object_items(
    b: _Builder, sels: list[Sel], type_name: str, source: str, statements: list[str], fast: bool
) -> str:
    """The dict display projecting ``source`` (a variable holding a nested object)."""
    items = []
    for s in sels:
        if s.name == "__typename":
            items.append(f"{s.key!r}: {type_name!r}")
        elif s.children:
            var = b.name("o")
            statements.append(f"{var} = {_read(source, s.name, fast)}" + ("" if fast else " or E"))
            inner = _object_items(b, s.children, s.type_name, var, statements, fast)
            items.append(f"{s.key!r}: {inner}")
        else:
            items.append(f"{s.key!r}: {_read(source, s.name, fast)}")
    return "{" + ", ".join(items) + "}"


def _read(source: str, name: str, fast: bool) -> str:
    return f"{source}[{name!r}]" if fast else f"{source}.get({name!r})"


def _global_variable(b: _Builder, sel: Sel) -> str:
    gv_type = GLOBAL_VARIABLE_FIELDS[sel.name]
    wanted = sel.args["name"]
    fname = b.name("_gv")
    present = []
    absent = []
    for s in sel.children:
        if s.name == "__typename":
            present.append(f"{s.key!r}: {sel.type_name!r}")
            absent.append(f"{s.key!r}: {sel.type_name!r}")
        else:
            present.append(f"{s.key!r}: g.get({s.name!r})")
            absent.append(f"{s.key!r}: None")
    b.lines.append(
        f"def {fname}(r):\n"
        f"    for g in r.get('_globalVariables') or ():\n"
        f"        if g.get('name') == {wanted!r} and g.get('type') == {gv_type!r}:\n"
        f"            return {{{', '.join(present)}}}\n"
        f"    return {{{', '.join(absent)}}}\n"
    )
    return fname


def _activities(b: _Builder, sel: Sel, node_filter: Predicate | None) -> str:
    fn = activities_projector(sel, node_filter)
    fname = b.name("_acts")
    b.namespace[fname] = fn
    return fname


def build_renderer(sels: list[Sel], *, node_filter: Predicate | None = None) -> Renderer:
    """Compile the ``tasks`` selection of a raw query into a function of one CSR record.

    The data model promises every member of a record, so the projection reads members by
    subscript; a record breaking that promise is projected again reading missing members as null.
    """
    safe = _build(sels, node_filter, fast=False)
    fast = _build(sels, node_filter, fast=True)

    def render(r: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return fast(r)
        except (KeyError, TypeError):
            return safe(r)

    return render


def _build(sels: list[Sel], node_filter: Predicate | None, *, fast: bool) -> Renderer:
    b = _Builder()
    items = []
    statements: list[str] = []
    for s in sels:
        if s.name == "__typename":
            items.append(f"{s.key!r}: 'TaskDetails'")
        elif s.name in GLOBAL_VARIABLE_FIELDS:
            items.append(f"{s.key!r}: {_global_variable(b, s)}(r)")
        elif s.name == "activities":
            items.append(f"{s.key!r}: {_activities(b, s, node_filter)}(r)")
        elif s.name in ("aggregation", "intervalStartTime"):
            items.append(f"{s.key!r}: None")
        elif s.children:
            var = b.name("o")
            statements.append(f"{var} = {_read('r', s.name, fast)}" + ("" if fast else " or E"))
            inner = _object_items(b, s.children, s.type_name, var, statements, fast)
            items.append(f"{s.key!r}: {inner}")
        else:
            items.append(f"{s.key!r}: {_read('r', FIELD_ALIASES.get(s.name, s.name), fast)}")
    top = b.name("_render")
    body = "".join(f"    {line}\n" for line in statements)
    b.lines.append(f"def {top}(r):\n{body}    return {{{', '.join(items)}}}\n")
    return b.compile(top)


def _sort_spec(nodes_sel: list[Sel]) -> list[tuple[str, bool]]:
    """``(field, descending)`` for every node field selected with ``sort:``, in order."""
    spec = []
    for s in nodes_sel:
        order = s.args.get("sort") if s.args else None
        if order is not None:
            spec.append((s.name, order == "desc"))
    return spec


def sort_records(
    items: list[Mapping[str, Any]], spec: list[tuple[Callable[[Any], Any], bool]]
) -> list[Mapping[str, Any]]:
    """Stable multi-key sort; missing values last whatever the direction (as Elasticsearch)."""
    out = list(items)
    for get, desc in reversed(spec):
        if desc:
            out.sort(key=_present_first(get), reverse=True)
        else:
            out.sort(key=_missing_last(get))
    return out


def _present_first(get: Callable[[Any], Any]) -> Callable[[Any], tuple[bool, Any]]:
    return lambda r: (get(r) is not None, get(r))


def _missing_last(get: Callable[[Any], Any]) -> Callable[[Any], tuple[bool, Any]]:
    return lambda r: (get(r) is None, get(r))


def _member(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda n: n.get(name)


def activities_projector(
    sel: Sel, node_filter: Predicate | None
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Project ``activities(first:, after:) { totalCount nodes {...} pageInfo {...} }``.

    Nodes come newest first (or in the order asked with ``sort:`` on a node field); ``after`` is
    the epoch-ms value of the sort field of the last node of the previous page, and the next page
    holds the nodes strictly beyond it.
    """
    first = sel.args.get("first", 25)
    if first is None:
        first = 25
    if first < 0 or first > MAX_ACTIVITIES_PAGE:
        raise QueryError(
            f"activities(first: {first}) is out of range: at most {MAX_ACTIVITIES_PAGE} per page"
        )
    after_raw = sel.args.get("after")
    after: int | None = None
    if after_raw is not None and after_raw != "":
        try:
            after = int(after_raw)
        except ValueError:
            raise QueryError(f"Invalid cursor {after_raw!r} for activities") from None
    nodes_sels = [c for c in sel.children if c.name == "nodes"]
    node_fields = [c for ns in nodes_sels for c in ns.children]
    spec = _sort_spec(node_fields) or [("createdTime", True)]
    cursor_field, cursor_desc = spec[0]
    getters: list[tuple[Callable[[Any], Any], bool]] = [(_member(f), d) for f, d in spec]
    node_renderers = {ns.key: _node_renderer(ns.children) for ns in nodes_sels}
    default_order = spec == [("createdTime", True)]

    def project(r: Mapping[str, Any]) -> dict[str, Any]:
        nodes = r.get("_activities") or []
        if node_filter is not None:
            nodes = [n for n in nodes if node_filter(n)]
        total = len(nodes)
        if not default_order:
            nodes = sort_records(nodes, getters)
        if after is not None:
            if cursor_desc:
                nodes = [n for n in nodes if (v := n.get(cursor_field)) is not None and v < after]
            else:
                nodes = [n for n in nodes if (v := n.get(cursor_field)) is not None and v > after]
        page = nodes[:first]
        has_next = len(nodes) > first
        end_cursor = None
        if has_next and page and page[-1].get(cursor_field) is not None:
            end_cursor = str(page[-1].get(cursor_field))
        out: dict[str, Any] = {}
        for c in sel.children:
            if c.name == "totalCount":
                out[c.key] = total
            elif c.name == "nodes":
                render = node_renderers[c.key]
                out[c.key] = [render(n) for n in page]
            elif c.name == "pageInfo":
                out[c.key] = page_info(c.children, has_next, end_cursor)
            elif c.name == "__typename":
                out[c.key] = "TaskActivities"
        return out

    return project


def _node_renderer(sels: list[Sel]) -> Renderer:
    b = _Builder()
    items = []
    for s in sels:
        if s.name == "__typename":
            items.append(f"{s.key!r}: 'TaskActivity'")
        else:
            items.append(f"{s.key!r}: r.get({s.name!r})")
    top = b.name("_node")
    b.lines.append(f"def {top}(r):\n    return {{{', '.join(items)}}}\n")
    return b.compile(top)


def page_info(sels: list[Sel], has_next: bool, end_cursor: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in sels:
        if s.name == "hasNextPage":
            out[s.key] = has_next
        elif s.name == "endCursor":
            out[s.key] = end_cursor
        elif s.name == "__typename":
            out[s.key] = "PageInfo"
    return out
