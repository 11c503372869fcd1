"""The Search API schema (``schema.graphql``) and the field catalogue derived from it.

The SDL is written from Cisco's data dictionaries (CSR, CAR, ASR, AAR, CLR). What the dictionaries
say and GraphQL cannot (whether a field may be aggregated or grouped on) lives in small tables
(below for taskDetails, in ``roots`` for the other root queries); what GraphQL can say (type,
sortable = takes ``sort:``, filterable = present in the filter input) is read from the schema
itself, so the two cannot drift apart. ``roots.catalog(name)`` builds the catalogue per root.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from graphql import (
    EnumValueNode,
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    StringValueNode,
    ValueNode,
    build_schema,
    print_ast,
)

from sandbox.search import long_scalar

# Older list fields of Cisco's 2021 sample answers (sandbox/search/client_fields.py): served, but
# nothing says they aggregate or group.
_OLDER_LISTS = (
    "queues.id",
    "queues.name",
    "queues.duration",
    "queues.durationBusinessHours",
    "teams.id",
    "teams.name",
    "contributors.id",
    "contributors.name",
    "sites.id",
    "sites.name",
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
        *_OLDER_LISTS,
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
        *_OLDER_LISTS,
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
    long_t.parse_literal = long_scalar.parse_literal  # type: ignore[method-assign,assignment]
    long_t.parse_value = long_scalar.parse_value  # type: ignore[method-assign]
    long_t.serialize = long_scalar.serialize  # type: ignore[method-assign]
    chan = schema.type_map["ChannelTypeValue"]
    assert isinstance(chan, GraphQLScalarType)
    chan.parse_literal = _channel_literal  # type: ignore[method-assign,assignment]
    chan.parse_value = _channel_value  # type: ignore[method-assign]
    field_name = schema.type_map["FieldName"]
    assert isinstance(field_name, GraphQLScalarType)
    field_name.parse_literal = _channel_literal  # type: ignore[method-assign,assignment]
    field_name.parse_value = _channel_value  # type: ignore[method-assign]
    for name in ("AgentStateValue",):
        value_t = schema.type_map[name]
        assert isinstance(value_t, GraphQLScalarType)
        value_t.parse_literal = _channel_literal  # type: ignore[method-assign,assignment]
        value_t.parse_value = _channel_value  # type: ignore[method-assign]
    state_t = schema.type_map["AgentState"]
    assert isinstance(state_t, GraphQLScalarType)
    state_t.serialize = _identity  # type: ignore[method-assign]
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
    level: int = 0  # nesting depth: 0 the record, then its lists (channelInfo, activity nodes)

    @property
    def numeric(self) -> bool:
        return self.graphql_type in NUMERIC_TYPES

    @property
    def activity(self) -> bool:
        return ".nodes." in self.path


def task_details_catalog() -> dict[str, FieldInfo]:
    """Every leaf path of TaskDetails (CSR) and of its activities (CAR, ``activities.nodes.*``)."""
    from sandbox.search.roots import catalog  # the root table builds on this module

    return catalog("taskDetails")
