"""From a request (query text, variables, operation name) to a tree of selected fields.

graphql-core parses and validates (cached per query text); the selection is then flattened here
(aliases, fragments, ``@skip``/``@include``, merged duplicate keys, argument values with variables
applied) into :class:`Sel` trees that the engine projects records onto directly.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BREAK,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    is_object_type,
    parse,
    type_from_ast,
    validate,
    value_from_ast,
    visit,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Undefined

from sandbox.search import long_scalar
from sandbox.search.long_scalar import LONG_MAX, LONG_MIN, java_message
from sandbox.search.schema import schema

_DOC_CACHE_SIZE = 256


class RequestError(Exception):
    """The request cannot be executed at all (syntax, validation, variables, operation name)."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass
class Sel:
    """One selected field: its response key, schema name, arguments and sub-selections."""

    key: str
    name: str
    args: dict[str, Any]
    type_name: str  # named type of the field's value
    children: list[Sel] = field(default_factory=list)
    is_list: bool = False  # the field's value is a list (channelInfo, aggregation, ...)
    node: FieldNode | None = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def child(self, name: str) -> list[Sel]:
        return [c for c in self.children if c.name == name]


@dataclass
class RootField:
    """One root field of the operation (``taskDetails``, an alias of it, or introspection)."""

    sel: Sel
    introspection: bool = False


@dataclass
class Operation:
    document: DocumentNode
    operation: OperationDefinitionNode
    roots: list[RootField]
    variables: dict[str, Any]


_documents: OrderedDict[str, DocumentNode] = OrderedDict()


def document(query: str) -> DocumentNode:
    """Parse and validate ``query`` against the schema, caching the outcome by its text."""
    doc = _documents.get(query)
    if doc is not None:
        _documents.move_to_end(query)
        return doc
    try:
        doc = parse(query)
    except GraphQLError as exc:
        raise RequestError([exc]) from exc
    errors = validate(schema(), doc)
    if errors:
        raise RequestError([_in_java_words(e, doc) for e in errors])
    _documents[query] = doc
    if len(_documents) > _DOC_CACHE_SIZE:
        _documents.popitem(last=False)
    return doc


def _in_java_words(error: GraphQLError, doc: DocumentNode) -> GraphQLError:
    """A Long coercion failure in the real service's (graphql-java's) words; others as they are."""
    message = java_message(error, doc)
    if message is None:
        return error
    return GraphQLError(message, error.nodes, original_error=error.original_error)


def compile_operation(
    query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> Operation:
    """Resolve the operation, coerce its variables and flatten its root selections."""
    plan = _plan(query, operation_name)
    doc, op, fragments = plan.document, plan.operation, plan.fragments
    s = schema()
    coerced = plan.coerce(variables or {})
    if coerced is None:
        coerced = get_variable_values(s, op.variable_definitions or (), variables or {})
        if isinstance(coerced, list):
            raise RequestError([_in_java_words(e, doc) for e in coerced])
    query_type = s.query_type
    assert query_type is not None
    fields = plan.root_fields
    if fields is None:
        fields = collect_fields(s, fragments, coerced, query_type, op.selection_set)
    roots: list[RootField] = []
    for key, nodes in fields.items():
        name = nodes[0].name.value
        if name.startswith("__"):
            roots.append(RootField(Sel(key, name, {}, "", node=nodes[0]), introspection=True))
            continue
        roots.append(RootField(_root_sel(query, operation_name, key, nodes, fragments, coerced)))
    return Operation(doc, op, roots, coerced)


class _Plan:
    """What an operation's requests share whatever their variables' values: the resolved
    operation, its fragments, its root fields (when no directive reads a variable) and a check
    of each variable definition. A client paging sends the same text thousands of times with
    other values (a further-activities request: a new session and cursor each time), and
    graphql-core's generic coercion was a twentieth of such a request."""

    def __init__(self, doc: DocumentNode, op: OperationDefinitionNode) -> None:
        self.document = doc
        self.operation = op
        self.fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.root_fields: dict[str, list[FieldNode]] | None = None
        if not _directive_variables(op.selection_set, self.fragments):
            query_type = schema().query_type
            assert query_type is not None
            self.root_fields = collect_fields(
                schema(), self.fragments, {}, query_type, op.selection_set
            )
        self.variables = _variable_checks(op)

    def coerce(self, inputs: dict[str, Any]) -> dict[str, Any] | None:
        """The variables as graphql-core coerces them, for values whose coercion is the value
        itself (a string for ``String``, an int in range for ``Long``, an enum value's name, a
        default when absent); None for anything else, which graphql-core then coerces (and
        words its errors)."""
        checks = self.variables
        if checks is None:
            return None
        coerced: dict[str, Any] = {}
        for name, non_null, parse_value, default in checks:
            if name not in inputs:
                if default is not _NO_DEFAULT:
                    coerced[name] = default
                elif non_null:
                    return None
                continue
            value = inputs[name]
            if value is None:
                if non_null:
                    return None
                coerced[name] = None
                continue
            parsed = parse_value(value)
            if parsed is _REFUSED:
                return None
            coerced[name] = parsed
        return coerced


_NO_DEFAULT = object()
_REFUSED = object()
_VariableCheck = tuple[str, bool, Any, Any]  # name, non-null, parse (or _REFUSED), default


def _parse_string(value: Any) -> Any:
    # graphql-core's String takes a str as it is and refuses anything else.
    return value if type(value) is str else _REFUSED


def _parse_long(value: Any) -> Any:
    # long_scalar.parse_value gives an in-range int back unchanged; other inputs (strings,
    # floats, out of range) go through it (and its messages).
    return value if type(value) is int and LONG_MIN <= value <= LONG_MAX else _REFUSED


def _enum_parser(enum: GraphQLEnumType) -> Any:
    values = {name: v.value for name, v in enum.values.items()}

    def parse(value: Any) -> Any:
        if type(value) is str and value in values:
            return values[value]
        return _REFUSED

    return parse


def _variable_checks(op: OperationDefinitionNode) -> list[_VariableCheck] | None:
    """A check per variable definition, or None when one is not of a kind checked here (lists,
    input objects, other scalars, a default that is not a plain value)."""
    checks: list[_VariableCheck] = []
    for definition in op.variable_definitions or ():
        var_type = type_from_ast(schema(), definition.type)
        non_null = isinstance(var_type, GraphQLNonNull)
        named = var_type.of_type if non_null else var_type
        if named is GraphQLString:
            parse_value: Any = _parse_string
        elif getattr(named, "parse_value", None) is long_scalar.parse_value:
            parse_value = _parse_long
        elif type(named) is GraphQLEnumType:
            parse_value = _enum_parser(named)
        else:
            return None
        default: Any = _NO_DEFAULT
        if definition.default_value:
            default = value_from_ast(definition.default_value, var_type)
            if default is not None and type(default) not in (str, int, float, bool):
                return None  # shared by every request: only immutable values
        checks.append((definition.variable.name.value, non_null, parse_value, default))
    return checks


_plans: OrderedDict[tuple[str, str | None], _Plan] = OrderedDict()


def _plan(query: str, operation_name: str | None) -> _Plan:
    """The operation's plan, kept per query text and operation name; raises what resolving
    the operation raises (nothing failing is kept)."""
    key = (query, operation_name)
    plan = _plans.get(key)
    if plan is not None:
        _plans.move_to_end(key)
        return plan
    doc = document(query)
    op = get_operation_ast(doc, operation_name)
    if op is None:
        msg = (
            f"Unknown operation named '{operation_name}'."
            if operation_name
            else "Must provide operation name if query contains multiple operations."
        )
        raise RequestError([GraphQLError(msg)])
    if op.operation != OperationType.QUERY:
        raise RequestError(
            [GraphQLError(f"Schema is not configured for {op.operation.value}s.", op)]
        )
    plan = _plans[key] = _Plan(doc, op)
    if len(_plans) > _DOC_CACHE_SIZE:
        _plans.popitem(last=False)
    return plan


# Sub-selections of root fields that reference no variable, by (query, operation, response key):
# paging a window re-sends the same document with another cursor, and only root arguments change.
_subselections: OrderedDict[tuple[str, str | None, str], list[Sel]] = OrderedDict()


def _root_sel(
    query: str,
    operation_name: str | None,
    key: str,
    nodes: list[FieldNode],
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> Sel:
    query_type = schema().query_type
    assert query_type is not None
    cache_key = (query, operation_name, key)
    children = _subselections.get(cache_key)
    if children is None:
        template = _templates.get(cache_key)
        if template is not None:
            children = [_rebound(c, variables) for c in template]
    if children is None:
        sel = _sel(key, nodes, query_type, fragments, variables)
        if not any(_uses_variables(n.selection_set, fragments) for n in nodes):
            _subselections[cache_key] = sel.children
            if len(_subselections) > _DOC_CACHE_SIZE:
                _subselections.popitem(last=False)
        elif not any(_directive_variables(n.selection_set, fragments) for n in nodes):
            named = get_named_type(query_type.fields[nodes[0].name.value].type)
            assert isinstance(named, GraphQLObjectType)
            for c in sel.children:
                _mark(c, named)
            _templates[cache_key] = sel.children
            if len(_templates) > _DOC_CACHE_SIZE:
                _templates.popitem(last=False)
        return sel
    field_def = query_type.fields[nodes[0].name.value]
    try:
        args = _arguments(field_def, nodes[0], variables)
    except GraphQLError as exc:
        raise RequestError([exc]) from exc
    named = get_named_type(field_def.type)
    return Sel(key, nodes[0].name.value, args, named.name, children, node=nodes[0])


# Sub-selections whose variables are only in field arguments (a client paging one record's
# further activities sends ``activities(after: $after)`` with a new ``after`` each time): the
# tree is built once, and each request builds again only the fields whose arguments hold a
# variable and the path down to them (building the whole tree was a third of such a request).
# ``@skip``/``@include`` with a variable change the tree's shape: those are built every time.
_templates: OrderedDict[tuple[str, str | None, str], list[Sel]] = OrderedDict()


def _mark(sel: Sel, parent: GraphQLObjectType) -> bool:
    """Record in ``sel.cache`` what rebinding ``sel`` needs: its field definition, whether its
    own arguments hold a variable, whether any field below does. Returns whether ``sel`` or a
    field below holds one."""
    if sel.name == "__typename" or sel.node is None:
        sel.cache["bind"] = (None, False, False)
        return False
    field_def = parent.fields[sel.name]
    own = any(_holds_variable(a.value) for a in sel.node.arguments or ())
    named = get_named_type(field_def.type)
    below = False
    if sel.children:
        assert isinstance(named, GraphQLObjectType)
        for c in sel.children:
            below = _mark(c, named) or below
    sel.cache["bind"] = (field_def, own, below)
    return own or below


def _rebound(sel: Sel, variables: dict[str, Any]) -> Sel:
    """``sel`` of a template with the request's variables: the same object where nothing below
    it holds a variable, else a new ``Sel`` (arguments coerced again where they hold one)."""
    field_def, own, below = sel.cache["bind"]
    if not (own or below):
        return sel
    args = sel.args
    if own:
        assert sel.node is not None
        try:
            args = _arguments(field_def, sel.node, variables)
        except GraphQLError as exc:
            raise RequestError([exc]) from exc
    children = [_rebound(c, variables) for c in sel.children] if below else sel.children
    out = Sel(sel.key, sel.name, args, sel.type_name, children, sel.is_list, sel.node)
    out.cache["bind"] = sel.cache["bind"]
    return out


class _Probe:
    """Stands for a variable's value while an argument's shape is computed (see _arguments)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# How a field's arguments come out for each state of the variables they name (absent, null,
# a value), with _Probe where a value goes: {(field node id, states): (node, shape)}.
_argument_shapes: OrderedDict[tuple[int, tuple[int, ...]], tuple[FieldNode, Any]] = OrderedDict()
_ABSENT, _NULL, _VALUE = 0, 1, 2
_PLAIN = (str, int, float, bool, type(None))
_UNUSABLE = object()


def _arguments(field_def: Any, node: FieldNode, variables: dict[str, Any]) -> dict[str, Any]:
    """``get_argument_values(field_def, node, variables)``, from a shape computed once per state
    of the variables the arguments name. graphql-core reads a variable only to tell whether it
    is absent or null and otherwise puts the value itself where it stands, so for the same
    states the result is the same but for those values: each request builds that result again
    with its own values (a further-activities request's filter and cursor), instead of
    coercing every field of the filter's input type (a fifth of such a request). A shape that
    raises, or holds anything but dicts, lists and plain values, is not kept."""
    names = _argument_variables(node)
    states = []
    for name in names:
        if name not in variables:
            states.append(_ABSENT)
        else:
            value = variables[name]
            if value is Undefined:
                return get_argument_values(field_def, node, variables)
            states.append(_NULL if value is None else _VALUE)
    key = (id(node), tuple(states))
    kept = _argument_shapes.get(key)
    if kept is None or kept[0] is not node:
        probes = {
            n: None if st == _NULL else _Probe(n)
            for n, st in zip(names, states, strict=True)
            if st != _ABSENT
        }
        shape = get_argument_values(field_def, node, probes)  # raises as the real values do
        if not _usable(shape):
            shape = _UNUSABLE
        _argument_shapes[key] = kept = (node, shape)
        if len(_argument_shapes) > 4 * _DOC_CACHE_SIZE:
            _argument_shapes.popitem(last=False)
    shape = kept[1]
    if shape is _UNUSABLE:
        return get_argument_values(field_def, node, variables)
    return _filled(shape, variables)  # type: ignore[no-any-return]


def _usable(shape: Any) -> bool:
    if isinstance(shape, _Probe) or type(shape) in _PLAIN:
        return True
    if type(shape) is dict:
        return all(type(k) is str and _usable(v) for k, v in shape.items())
    if type(shape) is list:
        return all(_usable(v) for v in shape)
    return False


def _filled(shape: Any, variables: dict[str, Any]) -> Any:
    """``shape`` with each probe replaced by its variable's value, in new dicts and lists."""
    if type(shape) is dict:
        return {k: _filled(v, variables) for k, v in shape.items()}
    if type(shape) is list:
        return [_filled(v, variables) for v in shape]
    if type(shape) is _Probe:
        return variables[shape.name]
    return shape


def _argument_variables(node: FieldNode) -> list[str]:
    """The names of the variables a field's arguments hold, each once, in order."""
    names: list[str] = []

    def walk(value: Node) -> None:
        if isinstance(value, VariableNode):
            if value.name.value not in names:
                names.append(value.name.value)
        elif isinstance(value, ListValueNode):
            for v in value.values:
                walk(v)
        elif isinstance(value, ObjectValueNode):
            for f in value.fields:
                walk(f.value)

    for argument in node.arguments or ():
        walk(argument.value)
    return names


def _holds_variable(value: Node) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_holds_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_holds_variable(f.value) for f in value.fields)
    return False


def _directive_variables(node: Node | None, fragments: dict[str, FragmentDefinitionNode]) -> bool:
    """Whether a selection or any fragment of the document has a directive argument holding a
    variable (``@skip(if: $x)``): then the tree's shape depends on the variables."""
    found = False

    class _Finder(Visitor):
        def enter_directive(self, directive: DirectiveNode, *_args: Any) -> Any:
            nonlocal found
            if any(_holds_variable(a.value) for a in directive.arguments or ()):
                found = True
                return BREAK
            return None

    for part in (node, *(f.selection_set for f in fragments.values())):
        if part is not None and not found:
            visit(part, _Finder())
    return found


def _uses_variables(
    node: Node | None, fragments: dict[str, FragmentDefinitionNode], seen: set[str] | None = None
) -> bool:
    """Whether a selection (with the fragments it spreads) references any variable."""
    if node is None:
        return False
    visited: set[str] = set() if seen is None else seen
    found = False

    class _Finder(Visitor):
        def enter_variable(self, *_args: Any) -> Any:
            nonlocal found
            found = True
            return BREAK

        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_args: Any) -> Any:
            nonlocal found
            name = spread.name.value
            if name not in visited and name in fragments:
                visited.add(name)
                if _uses_variables(fragments[name].selection_set, fragments, visited):
                    found = True
                    return BREAK
            return None

    visit(node, _Finder())
    return found


def _sel(
    key: str,
    nodes: list[FieldNode],
    parent: GraphQLObjectType,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> Sel:
    name = nodes[0].name.value
    if name == "__typename":
        return Sel(key, name, {}, "String", node=nodes[0])
    field_def = parent.fields[name]
    try:
        args = get_argument_values(field_def, nodes[0], variables)
    except GraphQLError as exc:
        raise RequestError([exc]) from exc
    named = get_named_type(field_def.type)
    sel = Sel(key, name, args, named.name, node=nodes[0], is_list=_is_list(field_def.type))
    if is_object_type(named):
        assert isinstance(named, GraphQLObjectType)
        subs = collect_sub_fields(schema(), fragments, variables, named, nodes)
        sel.children = [_sel(k, ns, named, fragments, variables) for k, ns in subs.items()]
    return sel


def _is_list(field_type: Any) -> bool:
    return is_list_type(get_nullable_type(field_type))
