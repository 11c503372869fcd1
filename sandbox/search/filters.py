"""Search filters (``filter``, ``extFilter``, aggregation ``predicate``) compiled to predicates.

Semantics (see sandbox/README.md (Part 2)): several keys in one filter object all apply (AND);
``and``/``or`` take lists and nest; ``equals``/``notequals`` compare exactly (``equals: null`` is
"absent", ``notequals`` also matches a record without the value); ``match`` is a regular
expression that must match the whole value; ``contains`` a case-sensitive substring; numeric
comparisons never match a missing value. A global-variable filter matches when one variable of
that type satisfies its ``name`` and ``value`` conditions together; an ``extFilter`` on a task
matches when one of its activities satisfies the ``nodes`` conditions together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from sandbox.search.client_fields import BY_PATH as DERIVED_PATHS
from sandbox.search.errors import QueryError
from sandbox.search.schema import FIELD_ALIASES, GLOBAL_VARIABLE_FIELDS

Record = Mapping[str, Any]
Predicate = Callable[[Any], bool]

MAX_FILTER_ARGUMENTS = 1000  # across filter, extFilter and predicates (GQL-README "Restrictions")

_OPERATORS = frozenset({"equals", "notequals", "match", "contains", "gt", "gte", "lt", "lte"})
_EMPTY: Mapping[str, Any] = {}
_NO_ALIASES: Mapping[str, str] = {}


def getter(path: str, aliases: Mapping[str, str] = FIELD_ALIASES) -> Callable[[Record], Any]:
    """Read a dotted path (``lastAgent.id``) from a record; missing objects read as null.

    ``aliases`` maps a top-level name to the record member it reads (older spellings)."""
    derived = DERIVED_PATHS.get(path)
    if derived is not None:
        return derived
    parts = path.split(".")
    parts[0] = aliases.get(parts[0], parts[0])
    if len(parts) == 1:
        (key,) = parts
        return lambda r: r.get(key)
    if len(parts) == 2:
        first, second = parts
        return lambda r: (r.get(first) or _EMPTY).get(second)

    def get(r: Record) -> Any:
        value: Any = r
        for part in parts:
            value = (value or _EMPTY).get(part)
        return value

    return get


@lru_cache(maxsize=512)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """A Lucene-style regular expression (whole-value match) as a Python pattern.

    Lucene reads a quantifier with nothing before it as a literal character; Cisco's own example
    (``origin: { match: "+12345678.+" }``) relies on that, so a leading quantifier is escaped.
    """
    fixed = pattern
    if fixed[:1] in ("+", "*", "?", "{"):
        fixed = "\\" + fixed
    try:
        return re.compile(fixed, re.DOTALL)
    except re.error as exc:
        raise QueryError(f"Invalid regular expression {pattern!r} in match filter: {exc}") from exc


def _leaf(ops: Mapping[str, Any], get: Callable[[Any], Any]) -> Predicate:
    checks: list[Predicate] = []
    for op, operand in ops.items():
        if op not in _OPERATORS:
            raise QueryError(f"Unknown filter operator {op!r}")
        checks.append(_operator(op, operand, get))
    if not checks:
        return lambda _r: True
    if len(checks) == 1:
        return checks[0]
    return lambda r: all(c(r) for c in checks)


def _partial_equal(obj: Any, operand: Mapping[str, Any]) -> bool:
    """Whether ``obj`` has every member ``operand`` names, with that value (null: absent)."""
    for key, want in operand.items():
        have = (obj or _EMPTY).get(key)
        if isinstance(want, Mapping):
            if not _partial_equal(have, want):
                return False
        elif have != want:
            return False
    return True


def _operator(op: str, v: Any, get: Callable[[Any], Any]) -> Predicate:  # noqa: C901
    if isinstance(v, Mapping) and op in ("equals", "notequals"):
        # Older ``task`` filters compare objects: ``owner: {notequals: {id: null}}``.
        if op == "equals":
            return lambda r: _partial_equal(get(r), v)
        return lambda r: not _partial_equal(get(r), v)
    if op == "equals":
        if v is None:
            return lambda r: get(r) is None
        return lambda r: get(r) == v
    if op == "notequals":
        if v is None:
            return lambda r: get(r) is not None
        return lambda r: get(r) != v
    if op == "match":
        if v is None:
            return lambda _r: False
        rx = compile_regex(v)
        return lambda r: isinstance(x := get(r), str) and rx.fullmatch(x) is not None
    if op == "contains":
        if v is None:
            return lambda _r: False
        return lambda r: isinstance(x := get(r), str) and v in x
    if v is None:
        return lambda _r: False
    if op == "gt":
        return lambda r: (x := get(r)) is not None and x > v
    if op == "gte":
        return lambda r: (x := get(r)) is not None and x >= v
    if op == "lt":
        return lambda r: (x := get(r)) is not None and x < v
    return lambda r: (x := get(r)) is not None and x <= v


def _combine(checks: list[Predicate]) -> Predicate:
    if not checks:
        return lambda _r: True
    if len(checks) == 1:
        return checks[0]
    return lambda r: all(c(r) for c in checks)


def _any_of(checks: list[Predicate]) -> Predicate:
    if not checks:
        return lambda _r: True
    return lambda r: any(c(r) for c in checks)


def _is_leaf(value: Mapping[str, Any]) -> bool:
    return bool(value) and all(k in _OPERATORS for k in value)


def count_arguments(value: Any) -> int:
    """Operator arguments in a filter value (the 1000-argument cap counts these)."""
    if isinstance(value, Mapping):
        n = 0
        for k, v in value.items():
            n += 1 if k in _OPERATORS else count_arguments(v)
        return n
    if isinstance(value, list):
        return sum(count_arguments(v) for v in value)
    return 0


def _gv_member(member: Mapping[str, Any]) -> Predicate:
    """Conditions on one global variable ``{name: ..., value: ...}``."""
    checks = []
    for key in ("name", "value"):
        ops = member.get(key)
        if ops is not None:
            checks.append(_leaf(ops, _item(key)))
    return _combine(checks)


def _item(key: str) -> Callable[[Any], Any]:
    return lambda g: g.get(key)


def _global_variable(field: str, member: Mapping[str, Any] | None) -> Predicate:
    gv_type = GLOBAL_VARIABLE_FIELDS[field]
    cond = _gv_member(member or _EMPTY)
    return lambda r: any(
        g.get("type") == gv_type and cond(g) for g in (r.get("_globalVariables") or ())
    )


# JSON skill lists a filter can test (nested-document semantics, as global variables).
SKILL_FIELDS = frozenset({"agentSkills", "requiredSkills", "matchedSkills"})


def _skill_member(key: str) -> Callable[[Any], Any]:
    """A SkillFilter member read from one skill ``{name, type, value}``."""
    if key == "intVal":  # a proficiency skill's value (Cisco's agentSkills sample)
        return lambda s: s.get("value") if s.get("type") == "proficiency" else None
    return lambda s: s.get(key)


def _skill_filter(field: str, member: Mapping[str, Any] | None) -> Predicate:
    checks = [
        _leaf(ops, _skill_member(key)) for key, ops in (member or _EMPTY).items() if ops is not None
    ]
    cond = _combine(checks)
    return lambda r: any(cond(s) for s in (r.get(field) or ()) if isinstance(s, Mapping))


def compile_record_filter(
    spec: Mapping[str, Any] | None,
    prefix: str = "",
    aliases: Mapping[str, str] = FIELD_ALIASES,
) -> Predicate | None:
    """A record filter value (``TaskDetailsFilters``, ``AgentSessionFilters``, an activity
    node's filter, ...) as a predicate on one record."""
    if spec is None:
        return None
    return _record_filter(spec, prefix, aliases)


def _record_filter(spec: Mapping[str, Any], prefix: str, aliases: Mapping[str, str]) -> Predicate:
    checks: list[Predicate] = []
    for key, value in spec.items():
        if value is None:
            continue
        if key == "and":
            checks.append(
                _combine([_record_filter(v, prefix, aliases) for v in value if v is not None])
            )
        elif key == "or":
            checks.append(
                _any_of([_record_filter(v, prefix, aliases) for v in value if v is not None])
            )
        elif not prefix and key in GLOBAL_VARIABLE_FIELDS:
            checks.append(_global_variable(key, value))
        elif not prefix and key in SKILL_FIELDS:
            checks.append(_skill_filter(key, value))
        elif key in _OPERATORS and prefix:
            # an operator next to member filters: ``owner: {equals: {...}, id: {...}}``
            checks.append(_operator(key, value, getter(prefix[:-1], aliases)))
        elif _is_leaf(value):
            checks.append(_leaf(value, getter(prefix + key, aliases)))
        else:
            checks.append(_record_filter(value, f"{prefix}{key}.", aliases))
    return _combine(checks)


def mentions(spec: Any, key: str) -> bool:
    """Whether a filter value names ``key`` at its top level (through ``and``/``or``)."""
    if isinstance(spec, Mapping):
        for k, v in spec.items():
            if v is None:
                continue
            if k == key:
                return True
            if k in ("and", "or") and any(mentions(x, key) for x in v or ()):
                return True
    return False


def compile_ext_task(spec: Mapping[str, Any] | None) -> Predicate | None:
    """A taskDetails ``extFilter`` as a predicate on a task: one of its activities must match."""
    return compile_ext(spec, ("activities",), ("_activities",), 0)


def compile_ext_node(spec: Mapping[str, Any] | None) -> Predicate | None:
    """A taskDetails ``extFilter`` as a predicate on one activity node."""
    return compile_ext(spec, ("activities",), ("_activities",), 1)


def compile_ext(
    spec: Mapping[str, Any] | None,
    container: tuple[str, ...],
    list_keys: tuple[str, ...],
    level: int,
) -> Predicate | None:
    """An ``extFilter`` as a predicate on the object at nesting ``level``.

    ``container`` names the filter keys down to ``nodes`` (``("activities",)`` on taskDetails,
    ``("channelInfo", "activities")`` on agentSession); ``list_keys`` the record members holding
    each nested list (``("_activities",)``, ``("channelInfo", "_activities")``). At the node
    level the predicate tests one activity; above it, an object matches when one activity under
    it matches (nested-document semantics).
    """
    if spec is None:
        return None
    return _ext(spec, container, list_keys, level)


def _ext(
    spec: Mapping[str, Any], container: tuple[str, ...], list_keys: tuple[str, ...], level: int
) -> Predicate:
    checks: list[Predicate] = []
    for key, value in spec.items():
        if value is None:
            continue
        if key == "and":
            checks.append(
                _combine([_ext(v, container, list_keys, level) for v in value if v is not None])
            )
        elif key == "or":
            checks.append(
                _any_of([_ext(v, container, list_keys, level) for v in value if v is not None])
            )
        elif key == "agentChannelId" and container[0] == "channelInfo":
            checks.append(_channel_id(value, list_keys, level))
        elif key == container[0]:
            inner: Any = value
            for part in container[1:]:
                inner = (inner or _EMPTY).get(part)
            nodes_spec = (inner or _EMPTY).get("nodes")
            pred = _record_filter(nodes_spec or _EMPTY, "", _NO_ALIASES)
            for list_key in reversed(list_keys[level:]):
                pred = _any_in(list_key, pred)
            checks.append(pred)
        else:  # pragma: no cover - the schema admits no other key
            raise QueryError(f"Unknown extFilter field {key!r}")
    return _combine(checks)


def _channel_id(ops: Mapping[str, Any], list_keys: tuple[str, ...], level: int) -> Predicate:
    """``agentChannelId`` in an agentSession extFilter: the channel's ``channelId``. A session
    matches through a matching channel; at the activity level every node of such a channel
    passes (the channel was already chosen)."""
    leaf = _leaf(ops, _item("channelId"))
    if level == 0:
        return _any_in(list_keys[0], leaf)
    if level == 1:
        return leaf
    return lambda _node: True


def _any_in(list_key: str, pred: Predicate) -> Predicate:
    return lambda r: any(pred(x) for x in (r.get(list_key) or ()))


def compile_predicate(spec: Mapping[str, Any] | None) -> Predicate | None:
    """An aggregation ``predicate`` as a test on one global variable ``{type, name, value}``."""
    if spec is None:
        return None
    return _predicate(spec)


def _predicate(spec: Mapping[str, Any]) -> Predicate:
    checks: list[Predicate] = []
    for key, value in spec.items():
        if value is None:
            continue
        if key == "and":
            checks.append(_combine([_predicate(v) for v in value if v is not None]))
        elif key == "or":
            checks.append(_any_of([_predicate(v) for v in value if v is not None]))
        else:
            gv_type = GLOBAL_VARIABLE_FIELDS[key]
            cond = _gv_member(value)
            checks.append(_typed_variable(gv_type, cond))
    return _combine(checks)


def _typed_variable(gv_type: str, cond: Predicate) -> Predicate:
    return lambda g: g.get("type") == gv_type and cond(g)
