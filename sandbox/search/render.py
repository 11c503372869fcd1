"""Projection of data-model records onto a selection, compiled to Python once per selection.

Raw-record pages are the bulk of what the service serves, so instead of walking the selection for
every record (what a GraphQL executor does) the selection is turned into the source of a small
function building the output dict literally, in selection order; keys and constants enter the
source only through ``repr()`` of strings the schema validated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from sandbox.layout import LAYOUT_KEY, Layout
from sandbox.search.client_fields import BY_TYPE as DERIVED_FIELDS
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
        self.activities: dict[str, int] = {}  # projector name -> id of its activities ``Sel``

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def compile(self, top: str, projectors: Mapping[str, Any] | None = None) -> Renderer:
        """The function ``top`` of the source; ``projectors`` (by name) replace the activities
        projectors the source was built with (``_rebind``)."""
        namespace = dict(self.namespace)
        if projectors:
            namespace.update(projectors)
        exec(_code("\n".join(self.lines)), namespace)  # noqa: S102
        renderer: Renderer = namespace[top]
        return renderer


_CODE: dict[str, Any] = {}


def _code(source: str) -> Any:  # noqa: ANN401 - a code object
    """``source`` compiled, once per text. A client paging one record's further activities
    sends a new ``after`` each time: a new selection, but the same source (the activities'
    arguments live in the projector bound by name), and compiling it twice a request took a
    quarter of those requests' time."""
    code = _CODE.get(source)
    if code is None:
        code = compile(source, "<search-projection>", "exec")
        if len(_CODE) > 512:
            _CODE.clear()
        _CODE[source] = code
    return code


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


def _activities(b: _Builder, sel: Sel, opts: _Options) -> str:
    # One projector per selection for both compilations of a renderer (the safe and the fast
    # one): building it was a fifth of a further-activities request's renderer.
    fn = opts.projectors.get(id(sel))
    if fn is None:
        fn = opts.projectors[id(sel)] = activities_projector(sel, opts.node_filter)
    fname = b.name("_acts")
    b.namespace[fname] = fn
    b.activities[fname] = id(sel)
    return fname


class _Options:
    def __init__(
        self, node_filter: Predicate | None, aliases: Mapping[str, str], global_variables: bool
    ) -> None:
        self.node_filter = node_filter
        self.aliases = aliases
        self.global_variables = global_variables
        # activities projectors by the id of their selection (alive while the renderer is
        # built: the caller holds the selection)
        self.projectors: dict[int, Callable[[Mapping[str, Any]], dict[str, Any]]] = {}


def _items(
    b: _Builder,
    sels: list[Sel],
    type_name: str,
    source: str,
    statements: list[str],
    fast: bool,
    opts: _Options,
    top: bool,
) -> str:
    """The dict display projecting ``source`` (a variable holding the record or an object)."""
    items = []
    for s in sels:
        if s.name == "__typename":
            items.append(f"{s.key!r}: {type_name!r}")
        elif (type_name, s.name) in DERIVED_FIELDS:
            fname = b.name("_derived")
            b.namespace[fname] = DERIVED_FIELDS[(type_name, s.name)]
            if s.children:  # a list of objects (the older ``queues``, ``teams``, ...)
                inner = _function(b, s.children, s.type_name, False, opts, top=False)
                items.append(f"{s.key!r}: [{inner}(x) for x in {fname}({source}) or ()]")
            else:
                items.append(f"{s.key!r}: {fname}({source})")
        elif top and s.name in ("aggregation", "intervalStartTime"):
            items.append(f"{s.key!r}: None")
        elif top and opts.global_variables and s.name in GLOBAL_VARIABLE_FIELDS:
            items.append(f"{s.key!r}: {_global_variable(b, s)}({source})")
        elif s.name == "activities" and s.children:
            items.append(f"{s.key!r}: {_activities(b, s, opts)}({source})")
        elif s.children and s.is_list:
            fname = _function(b, s.children, s.type_name, fast, opts, top=False)
            items.append(
                f"{s.key!r}: [{fname}(x) for x in {_read(source, s.name, fast)}"
                + ("]" if fast else " or ()]")
            )
        elif s.children:
            var = b.name("o")
            name = opts.aliases.get(s.name, s.name) if top else s.name
            statements.append(f"{var} = {_read(source, name, fast)}" + ("" if fast else " or E"))
            inner = _items(b, s.children, s.type_name, var, statements, fast, opts, top=False)
            items.append(f"{s.key!r}: {inner}")
        else:
            name = opts.aliases.get(s.name, s.name) if top else s.name
            items.append(f"{s.key!r}: {_read(source, name, fast)}")
    return "{" + ", ".join(items) + "}"


def _function(
    b: _Builder, sels: list[Sel], type_name: str, fast: bool, opts: _Options, top: bool
) -> str:
    """Compile a function projecting one object onto ``sels``; returns its name."""
    statements: list[str] = []
    display = _items(b, sels, type_name, "r", statements, fast, opts, top)
    fname = b.name("_render")
    body = "".join(f"    {line}\n" for line in statements)
    b.lines.append(f"def {fname}(r):\n{body}    return {display}\n")
    return fname


def build_renderer(
    sels: list[Sel],
    *,
    node_filter: Predicate | None = None,
    record_type: str = "TaskDetails",
    aliases: Mapping[str, str] = FIELD_ALIASES,
    global_variables: bool = True,
) -> Renderer:
    """Compile the list selection of a raw query (``tasks``, ``agentSessions``, ``taskLegs``)
    into a function of one record.

    The data model promises every member of a record, so the projection reads members by
    subscript; a record breaking that promise is projected again reading missing members as null.
    """
    opts = _Options(node_filter, aliases, global_variables)
    built = [
        _source(sels, record_type, opts, fast=False),
        _source(sels, record_type, opts, fast=True),
    ]
    plain = _plain(sels, aliases, global_variables, top=True)
    safe, fast = (b.compile(top) for b, top in built)
    render = _either(fast, safe)
    if plain is None:
        if opts.projectors:  # see _rebind
            render.rebind = partial(_rebind, sels, node_filter, built)  # type: ignore[attr-defined]
        return render
    keys, nested = plain
    size = len(keys)
    trusted: dict[Layout, bool] = {}  # layouts (by identity) whose records need no check

    def render_plain(r: Mapping[str, Any], in_place: bool = False) -> dict[str, Any]:
        # The selection is every member of the record in the record's order (the project's
        # all-fields queries): the record, less its trailing members, is the projection.
        if type(r) is dict:
            layout = r.get(LAYOUT_KEY)
            if layout is not None:
                ok = trusted.get(layout)
                if ok is None:
                    ok = trusted[layout] = _keeps(layout, keys, nested, top=True)
                if ok:
                    out = r if in_place else r.copy()
                    for name in layout.keys[size:]:
                        del out[name]
                    if len(out) > size:  # members added after the layout's (legacy entryPoint)
                        for name in list(out)[size:]:
                            del out[name]
                    return out
            members = list(r)
            if members[:size] == keys and _same_layout(r, nested):
                out = r.copy()
                for name in members[size:]:
                    del out[name]
                return out
        return render(r)

    def render_owned(r: Mapping[str, Any]) -> dict[str, Any]:
        return render_plain(r, True)

    # For records the caller owns (rendered for this answer alone): trusted ones lose their
    # trailing members in place instead of being copied (a copy of a CSR, then freeing both,
    # was a tenth of an all-fields page).
    render_plain.in_place = render_owned  # type: ignore[attr-defined]
    return render_plain


# (member, its keys, its own nested objects) of every nested object of a plain selection
_Layout = list[tuple[str, list[str], list[Any]]]


def _plain(
    sels: list[Sel], aliases: Mapping[str, str], global_variables: bool, *, top: bool
) -> tuple[list[str], _Layout] | None:
    """The keys (in order) and nested objects of a selection whose projection of a record with
    exactly these members, in this order, is the record itself: no alias, ``__typename``,
    constant, computed field (global variables, activities) or list of objects. None otherwise.
    """
    keys: list[str] = []
    nested: _Layout = []
    for s in sels:
        if s.key != s.name or s.name == "__typename":
            return None
        if top and (
            s.name in ("aggregation", "intervalStartTime")
            or (global_variables and s.name in GLOBAL_VARIABLE_FIELDS)
            or aliases.get(s.name, s.name) != s.name
        ):
            return None
        if s.name == "activities" or (s.children and s.is_list):
            return None
        if s.children:
            inner = _plain(s.children, aliases, global_variables, top=False)
            if inner is None:
                return None
            nested.append((s.name, inner[0], inner[1]))
        keys.append(s.name)
    return keys, nested


def _keeps(layout: Layout, keys: list[str], nested: _Layout, *, top: bool) -> bool:
    """Whether every record keeping ``layout`` projects onto the plain selection ``keys`` /
    ``nested`` as itself: its first members are ``keys`` (exactly them, for a nested object or
    a node), and each selected nested object has exactly the selected members."""
    if (layout.keys[: len(keys)] if top else layout.keys) != tuple(keys):
        return False
    for name, inner_keys, inner_nested in nested:
        inner = layout.nested.get(name)
        if inner is None or not _keeps(inner, inner_keys, inner_nested, top=False):
            return False
    return True


def members_as_is(
    sels: list[Sel], layout: Layout, aliases: Mapping[str, str], global_variables: bool
) -> int | None:
    """How many of a record's leading public members (not ``_``...) the projection onto
    ``sels`` of every record keeping ``layout`` shows as they are, nested objects whole, when
    it shows nothing else: then the answer is what the model encodes as text
    (``RecordRefs.render_text``). None when it is not such a selection."""
    plain = _plain(sels, aliases, global_variables, top=True)
    if plain is None:
        return None
    keys, nested = plain
    public = tuple(name for name in layout.keys if not name.startswith("_"))
    if not keys or public[: len(keys)] != tuple(keys) or layout.keys[: len(public)] != public:
        return None
    return len(keys) if _keeps(layout, keys, nested, top=True) else None


def _same_layout(r: Mapping[str, Any], nested: _Layout) -> bool:
    """Whether every nested object of ``r`` is a dict of exactly the selected members, in order."""
    for name, keys, inner in nested:
        o = r[name]
        if type(o) is not dict or list(o) != keys:
            return False
        if inner and not _same_layout(o, inner):
            return False
    return True


def _either(fast: Renderer, safe: Renderer) -> Renderer:
    def render(r: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return fast(r)
        except (KeyError, TypeError):
            return safe(r)

    return render


def _build(sels: list[Sel], record_type: str, opts: _Options, *, fast: bool) -> Renderer:
    b, top = _source(sels, record_type, opts, fast=fast)
    return b.compile(top)


def _source(
    sels: list[Sel], record_type: str, opts: _Options, *, fast: bool
) -> tuple[_Builder, str]:
    """The builder holding the projection's source, and the name of its top function."""
    b = _Builder()
    top = _function(b, sels, record_type, fast, opts, top=True)
    return b, top


def _rebind(
    sels: list[Sel],
    node_filter: Predicate | None,
    built: list[tuple[_Builder, str]],
    other: list[Sel],
) -> Renderer | None:
    """The renderer of ``other``, a selection differing from ``sels`` (whose renderer was
    ``built``) at most in the arguments of its activities (``first``, ``after``): the same
    source, which reads those arguments only through the activities projectors it names, run
    with projectors of ``other``'s activities. A client paging one record's further activities
    sends a new ``after`` each time, and building the renderer anew was a quarter of such a
    request. None when ``other`` differs otherwise (the caller builds it)."""
    pairs: dict[int, Sel] = {}
    if not _pair_activities(sels, other, pairs):
        return None
    projectors = {old: activities_projector(sel, node_filter) for old, sel in pairs.items()}
    compiled = []
    for b, top in built:
        if not all(old in projectors for old in b.activities.values()):
            return None
        compiled.append(b.compile(top, {n: projectors[old] for n, old in b.activities.items()}))
    safe, fast = compiled
    render = _either(fast, safe)
    render.rebind = partial(_rebind, sels, node_filter, built)  # type: ignore[attr-defined]
    return render


def _pair_activities(sels: list[Sel], other: list[Sel], pairs: dict[int, Sel]) -> bool:
    """Map each activities selection of ``sels`` (by id) to its counterpart in ``other``;
    False if the two differ in anything but those selections' arguments."""
    if len(sels) != len(other):
        return False
    for a, b in zip(sels, other, strict=True):
        if (a.key, a.name, a.type_name, a.is_list) != (b.key, b.name, b.type_name, b.is_list):
            return False
        activities = a.name == "activities" and bool(a.children)
        if activities:
            pairs[id(a)] = b
        elif a.args != b.args:
            return False
        if not _pair_activities(a.children, b.children, pairs):
            return False
    return True


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
    """Project ``activities(first:, after:) { totalCount nodes {...} pageInfo {...} }`` of a
    task (CAR) or of an agent session's channel (AAR).

    Nodes come newest first (or in the order asked with ``sort:`` on a node field); ``after`` is
    the epoch-ms value of the sort field (``createdTime`` of a CAR, ``startTime`` of an AAR) of
    the last node of the previous page, and the next page holds the nodes strictly beyond it.
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
    time_field = "startTime" if sel.type_name == "AgentActivities" else "createdTime"
    spec = _sort_spec(node_fields) or [(time_field, True)]
    cursor_field, cursor_desc = spec[0]
    getters: list[tuple[Callable[[Any], Any], bool]] = [(_member(f), d) for f, d in spec]
    node_renderers = {ns.key: _nodes_renderer(ns) for ns in nodes_sels}
    node_plain = {ns.key: _node_plain(ns) for ns in nodes_sels}
    trusted: dict[tuple[str, Layout], bool] = {}  # (nodes key, node layout): answered as is

    def as_is(key: str, r: Mapping[str, Any]) -> bool:
        layout = r.get(LAYOUT_KEY) if type(r) is dict else None
        nodes = layout.nodes if layout is not None else None
        if nodes is None:
            return False
        ok = trusted.get((key, nodes))
        if ok is None:
            plain = node_plain[key]
            ok = plain is not None and _keeps(nodes, plain[0], plain[1], top=False)
            trusted[(key, nodes)] = ok
        return ok

    type_name = sel.type_name
    default_order = spec == [(time_field, True)]

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
                if as_is(c.key, r):  # the model's nodes keep the selection's layout
                    out[c.key] = page  # a slice: a list of its own
                else:
                    render = node_renderers[c.key]
                    out[c.key] = [render(n) for n in page]
            elif c.name == "pageInfo":
                out[c.key] = page_info(c.children, has_next, end_cursor)
            elif c.name == "__typename":
                out[c.key] = type_name
        return out

    return project


_NODE_RENDERERS: dict[tuple[Any, ...], Renderer] = {}


def _shape(sels: list[Sel]) -> tuple[Any, ...]:
    """What a projection of ``sels`` depends on: keys, names, arguments, sub-selections (kept
    on each ``Sel``: a further-activities request's node selection is the previous request's
    own object, rebound only above it)."""
    return tuple(_sel_shape(s) for s in sels)


def _sel_shape(s: Sel) -> tuple[Any, ...]:
    shape = s.cache.get("shape")
    if shape is None:
        shape = s.cache["shape"] = (
            s.key,
            s.name,
            repr(sorted(s.args.items())),
            s.type_name,
            s.is_list,
            _shape(s.children),
        )
    return shape  # type: ignore[no-any-return]


def _nodes_renderer(nodes: Sel) -> Renderer:
    """``_node_renderer`` of a ``nodes`` selection, kept on the ``Sel``: a client paging one
    record's activities sends the same node selection (the same object, rebound only above
    it) with a new ``after`` each time, and finding the renderer by the selection's shape
    (hashing a tuple of every node field's shape) was a tenth of such a request."""
    renderer = nodes.cache.get("node_renderer")
    if renderer is None:
        renderer = nodes.cache["node_renderer"] = _node_renderer(nodes.children, nodes.type_name)
    return renderer  # type: ignore[no-any-return]


def _node_plain(nodes: Sel) -> tuple[list[str], _Layout] | None:
    """``_plain`` of a ``nodes`` selection, kept on the ``Sel``."""
    if "plain" not in nodes.cache:
        nodes.cache["plain"] = _plain(nodes.children, {}, False, top=False)
    return nodes.cache["plain"]  # type: ignore[no-any-return]


def _node_renderer(sels: list[Sel], type_name: str) -> Renderer:
    """Project one activity node (its nested objects, e.g. an AAR's ``idleCode``, too).

    Compiled once per node selection: a client paging one record's activities sends the same
    node selection with a new ``after`` each time, and compiling took a tenth of those pages.
    A selection of every member of the model's nodes, in their order (the project's activity
    queries), answers with the node itself: copying 47 members a CAR node was a seventh of a
    cold activity page.
    """
    key = (type_name, _shape(sels))
    renderer = _NODE_RENDERERS.get(key)
    if renderer is None:
        b = _Builder()
        opts = _Options(None, {}, False)
        renderer = b.compile(_function(b, sels, type_name, False, opts, top=False))
        plain = _plain(sels, {}, False, top=False)
        if plain is not None:
            renderer = _as_is(plain[0], plain[1], renderer)
        if len(_NODE_RENDERERS) > 256:
            _NODE_RENDERERS.clear()
        _NODE_RENDERERS[key] = renderer
    return renderer


def _as_is(keys: list[str], nested: _Layout, render: Renderer) -> Renderer:
    """``render`` for a plain selection: a node with exactly the selected members (nested
    objects too), in order, is its own projection (the answer only reads it)."""

    def node(n: Mapping[str, Any]) -> dict[str, Any]:
        if type(n) is dict and list(n) == keys and (not nested or _same_layout(n, nested)):
            return n
        return render(n)

    return node


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
