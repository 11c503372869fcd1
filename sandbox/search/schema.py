"""The Search API schema (``schema.graphql``) and the field catalogue derived from it.

The SDL is written from Cisco's data dictionaries (CSR.md, CAR.md). What the dictionaries say and
GraphQL cannot (whether a field may be aggregated or grouped on) lives in the small tables below;
what GraphQL can say (type, sortable = takes ``sort:``, filterable = present in the filter input)
is read from the schema itself, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from graphql import (
    EnumValueNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    IntValueNode,
    StringValueNode,
    ValueNode,
    build_schema,
    get_named_type,
    is_object_type,
    is_scalar_type,
    print_ast,
)

# Dictionary rows whose "Is Aggregation allowed?" / "Is GroupBy allowed?" say No.
NOT_AGGREGATABLE: frozenset[str] = frozenset(
    {
        "firstQueueId",
        "autoCsat",
        "globalVariables",
        "matchedSkills",
        "requiredSkills",
        "totalBnrDuration",
        "integerGlobalVariables.name",
        "stringGlobalVariables.name",
        "longGlobalVariables.name",
        "doubleGlobalVariables.name",
        "booleanGlobalVariables.name",
        "activities.nodes.bnrMode",
    }
)
NOT_GROUPABLE: frozenset[str] = frozenset(
    {
        "firstQueueId",
        "autoCsat",
        "globalVariables",
        "totalBnrDuration",
        "integerGlobalVariables.name",
        "stringGlobalVariables.name",
        "longGlobalVariables.name",
        "doubleGlobalVariables.name",
        "booleanGlobalVariables.name",
        "activities.nodes.bnrMode",
    }
)

# Typed global-variable fields and the ``type`` the data model gives such a variable.
GLOBAL_VARIABLE_FIELDS: dict[str, str] = {
    "integerGlobalVariables": "integer",
    "stringGlobalVariables": "string",
    "longGlobalVariables": "long",
    "doubleGlobalVariables": "double",
    "booleanGlobalVariables": "boolean",
}

# Output/filter names that read another member of the record (undocumented older spellings).
FIELD_ALIASES: dict[str, str] = {"isWithinSLA": "isWithInServiceLevel"}

NUMERIC_TYPES = frozenset({"Int", "Long", "Float"})
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def _long_literal(node: ValueNode, _variables: Any = None) -> int:
    if isinstance(node, IntValueNode):
        value = int(node.value)
        if LONG_MIN <= value <= LONG_MAX:
            return value
    raise GraphQLError(f"Long cannot represent a non 64-bit integer value: {_print(node)}")


def _long_value(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise GraphQLError(f"Long cannot represent a non-integer value: {value!r}")
    if not LONG_MIN <= value <= LONG_MAX:
        raise GraphQLError(f"Long cannot represent a non 64-bit integer value: {value!r}")
    return value


def _channel_literal(node: ValueNode, _variables: Any = None) -> str:
    # ChannelTypeValue and FieldName: Cisco's samples write both as enum literals.
    if isinstance(node, EnumValueNode | StringValueNode):
        return node.value
    raise GraphQLError(f"Expected an enum literal or a string: {_print(node)}")


def _channel_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise GraphQLError(f"Expected a string: {value!r}")


def _print(node: ValueNode) -> str:
    return print_ast(node)


def _identity(value: Any) -> Any:
    return value


def _configure_scalars(schema: GraphQLSchema) -> None:
    long_t = schema.type_map["Long"]
    assert isinstance(long_t, GraphQLScalarType)
    long_t.parse_literal = _long_literal  # type: ignore[method-assign,assignment]
    long_t.parse_value = _long_value  # type: ignore[method-assign]
    long_t.serialize = _identity  # type: ignore[method-assign]
    chan = schema.type_map["ChannelTypeValue"]
    assert isinstance(chan, GraphQLScalarType)
    chan.parse_literal = _channel_literal  # type: ignore[method-assign,assignment]
    chan.parse_value = _channel_value  # type: ignore[method-assign]
    field_name = schema.type_map["FieldName"]
    assert isinstance(field_name, GraphQLScalarType)
    field_name.parse_literal = _channel_literal  # type: ignore[method-assign,assignment]
    field_name.parse_value = _channel_value  # type: ignore[method-assign]
    json_t = schema.type_map["JSON"]
    assert isinstance(json_t, GraphQLScalarType)
    json_t.serialize = _identity  # type: ignore[method-assign]


def sdl() -> str:
    """Text of ``schema.graphql``."""
    return resources.files(__package__).joinpath("schema.graphql").read_text(encoding="utf-8")


@cache
def schema() -> GraphQLSchema:
    """The executable-for-validation schema (built once per process)."""
    built = build_schema(sdl())
    _configure_scalars(built)
    return built


@dataclass(frozen=True)
class FieldInfo:
    """One leaf field path of a record type, e.g. ``lastAgent.id`` or ``activities.nodes.queueId``."""

    path: str
    graphql_type: str  # named scalar type: String, Int, Long, Float, Boolean, JSON
    sortable: bool
    filterable: bool
    aggregatable: bool
    groupable: bool

    @property
    def numeric(self) -> bool:
        return self.graphql_type in NUMERIC_TYPES

    @property
    def activity(self) -> bool:
        return self.path.startswith("activities.nodes.")


def _filter_fields(schema_: GraphQLSchema, input_name: str, prefix: str) -> set[str]:
    """Leaf paths present in a filter input type (recursing into nested object filters)."""
    out: set[str] = set()
    input_t = schema_.type_map[input_name]
    assert isinstance(input_t, GraphQLInputObjectType)
    for name, field in input_t.fields.items():
        if name in ("and", "or"):
            continue
        named = get_named_type(field.type)
        assert isinstance(named, GraphQLInputObjectType)
        ops = set(named.fields)
        if ops & {"equals", "notequals", "match", "gt"}:
            out.add(prefix + name)
        else:
            out |= _filter_fields(schema_, named.name, f"{prefix}{name}.")
    return out


def _walk(obj: GraphQLObjectType, prefix: str, out: dict[str, tuple[str, bool]]) -> None:
    for name, field in obj.fields.items():
        if prefix == "" and name in ("aggregation", "intervalStartTime"):
            continue
        named = get_named_type(field.type)
        if is_scalar_type(named):
            out[prefix + name] = (named.name, "sort" in field.args)
        elif is_object_type(named):
            assert isinstance(named, GraphQLObjectType)
            if name == "pageInfo":
                continue
            sub = f"{prefix}{name}."
            if name == "activities":
                sub = "activities."
            _walk(named, sub, out)


@cache
def task_details_catalog() -> dict[str, FieldInfo]:
    """Every leaf path of TaskDetails (CSR) and of its activities (CAR, ``activities.nodes.*``)."""
    s = schema()
    leaves: dict[str, tuple[str, bool]] = {}
    task_t = s.type_map["TaskDetails"]
    assert isinstance(task_t, GraphQLObjectType)
    _walk(task_t, "", leaves)
    leaves.pop("activities.totalCount", None)
    filterable = _filter_fields(s, "TaskDetailsFilters", "")
    filterable |= {"activities.nodes." + p for p in _filter_fields(s, "TaskActivityFilters", "")}
    catalog: dict[str, FieldInfo] = {}
    for path, (type_name, sortable) in leaves.items():
        catalog[path] = FieldInfo(
            path=path,
            graphql_type=type_name,
            sortable=sortable,
            filterable=path in filterable,
            aggregatable=path not in NOT_AGGREGATABLE,
            groupable=path not in NOT_GROUPABLE,
        )
    return catalog
