"""The Search API's root queries as data: what each serves and how it is paged and nested.

The engine, the projection and the aggregations are written once against :class:`RootSpec`;
this module says, per root field (``taskDetails``, ``task``, ``agentSession``,
``taskLegDetails``), which record type and model source it reads, how its nested lists sit in a
record (tasks hold activity nodes; agent sessions hold channels, each holding activity nodes),
how raw pages are sized, ordered and paged, and which fields the dictionaries say may be
aggregated or grouped on. What GraphQL can say (type, sortable, filterable) is read from the SDL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    is_scalar_type,
)

from sandbox.search.schema import (
    GLOBAL_VARIABLE_FIELDS,
    NOT_AGGREGATABLE,
    NOT_GROUPABLE,
    FieldInfo,
    schema,
)

_GV_NAMES = frozenset(f"{gv}.name" for gv in GLOBAL_VARIABLE_FIELDS)
_OPERATORS = frozenset({"equals", "notequals", "match", "contains", "gt", "gte", "lt", "lte"})


@dataclass(frozen=True)
class Level:
    """A nested list of a record: its API path prefix and the record member holding it.

    ``prefix`` is the field path of the list's entries (``channelInfo``,
    ``activities.nodes``, ``channelInfo.activities.nodes``); ``key`` is the member of the
    enclosing object that holds the entries in the data model's records (``channelInfo``,
    ``_activities``); ``visible`` is whether the API shows the list itself (``channelInfo`` is a
    list field; activities are paged through ``activities(first:, after:)`` instead).
    """

    prefix: str
    key: str
    visible: bool


@dataclass(frozen=True)
class RootSpec:
    """One root query field of the Search API."""

    name: str  # taskDetails
    list_field: str  # tasks
    list_type: str  # TaskDetailsList
    record_type: str  # TaskDetails
    filter_type: str  # TaskDetailsFilters
    source: str  # the tenant's method returning the records
    levels: tuple[Level, ...]  # nested lists, outermost first; the last holds activity nodes
    ext_container: tuple[str, ...]  # extFilter keys down to `nodes` (() when no extFilter)
    node_filter_type: str | None  # filter input of one activity node
    node_time_field: str | None  # the time an activity node is bucketed by
    time_fields: tuple[str, ...]  # accepted by timeComparator; the first is the default
    page_size: int
    raw_capped: bool  # raw paging ends after the record cap (CSR and CLR: 100,000)
    key_cursor: str | None  # raw pages by search-after on this field (agentSession), else index
    default_order: tuple[str, ...]  # raw order without sort: these fields, descending
    not_aggregatable: frozenset[str] = frozenset()
    not_groupable: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)  # output/filter name -> record member
    global_variables: bool = False
    has_info: bool = False  # TaskList's intervalInfo and has

    @property
    def node_level(self) -> int:
        """Depth of activity nodes (0 when the root has none)."""
        return len(self.levels)

    @property
    def channel_level(self) -> Level | None:
        """The visible list level (agentSession's channelInfo), if any."""
        for level in self.levels:
            if level.visible:
                return level
        return None

    def level_of(self, path: str) -> tuple[int, str]:
        """Which nesting level a field path reads from and its path there.

        ``channelInfo.activities.nodes.state`` -> ``(2, "state")``; ``agentId`` -> ``(0, ...)``.
        """
        for depth in range(len(self.levels), 0, -1):
            prefix = self.levels[depth - 1].prefix + "."
            if path.startswith(prefix):
                return depth, path[len(prefix) :]
        return 0, path

    def catalog(self) -> dict[str, FieldInfo]:
        return catalog(self.name)


_TASK_NOT_AGG = NOT_AGGREGATABLE
_TASK_NOT_GROUP = NOT_GROUPABLE
_TASK_ALIASES = {"isWithinSLA": "isWithInServiceLevel"}

ROOTS: dict[str, RootSpec] = {
    "taskDetails": RootSpec(
        name="taskDetails",
        list_field="tasks",
        list_type="TaskDetailsList",
        record_type="TaskDetails",
        filter_type="TaskDetailsFilters",
        source="tasks",
        levels=(Level("activities.nodes", "_activities", False),),
        ext_container=("activities",),
        node_filter_type="TaskActivityFilters",
        node_time_field="createdTime",
        time_fields=("createdTime", "endedTime"),
        page_size=250,
        raw_capped=True,
        key_cursor=None,
        default_order=("createdTime", "id"),
        not_aggregatable=_TASK_NOT_AGG,
        not_groupable=_TASK_NOT_GROUP,
        aliases=_TASK_ALIASES,
        global_variables=True,
    ),
    "task": RootSpec(
        name="task",
        list_field="tasks",
        list_type="TaskList",
        record_type="Task",
        filter_type="TaskFilters",
        source="tasks",
        levels=(),
        ext_container=(),
        node_filter_type=None,
        node_time_field=None,
        time_fields=("createdTime", "endedTime"),
        page_size=100,
        raw_capped=True,
        key_cursor=None,
        default_order=("createdTime", "id"),
        not_aggregatable=frozenset(
            p for p in _TASK_NOT_AGG if "GlobalVariables" not in p and "activities" not in p
        ),
        not_groupable=frozenset(
            p for p in _TASK_NOT_GROUP if "GlobalVariables" not in p and "activities" not in p
        ),
        aliases={**_TASK_ALIASES, "entryPoint": "lastEntryPoint"},
        has_info=True,
    ),
    "agentSession": RootSpec(
        name="agentSession",
        list_field="agentSessions",
        list_type="AgentSessions",
        record_type="AgentSession",
        filter_type="AgentSessionFilters",
        source="agent_sessions_records",
        levels=(
            Level("channelInfo", "channelInfo", True),
            Level("channelInfo.activities.nodes", "_activities", False),
        ),
        ext_container=("channelInfo", "activities"),
        node_filter_type="AgentActivityFilters",
        node_time_field="startTime",
        time_fields=("startTime",),
        page_size=250,
        raw_capped=False,
        key_cursor="agentSessionId",
        default_order=(),
        not_aggregatable=frozenset({"agentSkills"}),
    ),
    "taskLegDetails": RootSpec(
        name="taskLegDetails",
        list_field="taskLegs",
        list_type="TaskLegDetailsList",
        record_type="TaskLeg",
        filter_type="TaskLegDetailsFilters",
        source="task_legs",
        levels=(),
        ext_container=(),
        node_filter_type=None,
        node_time_field=None,
        time_fields=("createdTime", "endedTime"),
        page_size=500,
        raw_capped=True,
        key_cursor=None,
        default_order=("createdTime", "id"),
        not_aggregatable=frozenset(
            {"nextDestination.agent.signInId", "matchedSkills", "requiredSkills", *_GV_NAMES}
        ),
        not_groupable=frozenset({"nextDestination.agent.signInId", *_GV_NAMES}),
        global_variables=True,
    ),
}


def root(name: str) -> RootSpec:
    return ROOTS[name]


def _is_leaf_filter(input_t: GraphQLInputObjectType) -> bool:
    return bool(input_t.fields) and set(input_t.fields) <= _OPERATORS


def _filter_fields(schema_: GraphQLSchema, input_name: str, prefix: str) -> set[str]:
    """Leaf paths present in a filter input type (recursing into nested object filters)."""
    out: set[str] = set()
    input_t = schema_.type_map[input_name]
    assert isinstance(input_t, GraphQLInputObjectType)
    for name, fld in input_t.fields.items():
        if name in ("and", "or") or name in _OPERATORS:
            continue
        named = get_named_type(fld.type)
        assert isinstance(named, GraphQLInputObjectType)
        if _is_leaf_filter(named):
            out.add(prefix + name)
        else:
            out |= _filter_fields(schema_, named.name, f"{prefix}{name}.")
    return out


def _walk(obj: GraphQLObjectType, prefix: str, out: dict[str, tuple[str, bool]]) -> None:
    for name, fld in obj.fields.items():
        if prefix == "" and name in ("aggregation", "intervalStartTime"):
            continue
        named = get_named_type(fld.type)
        if is_scalar_type(named):
            out[prefix + name] = (named.name, "sort" in fld.args)
        elif is_object_type(named):
            assert isinstance(named, GraphQLObjectType)
            if name == "pageInfo":
                continue
            _walk(named, f"{prefix}{name}.", out)


@cache
def catalog(root_name: str) -> dict[str, FieldInfo]:
    """Every leaf path of a root's record type, its nested lists and activity nodes."""
    spec = ROOTS[root_name]
    s = schema()
    leaves: dict[str, tuple[str, bool]] = {}
    record_t = s.type_map[spec.record_type]
    assert isinstance(record_t, GraphQLObjectType)
    _walk(record_t, "", leaves)
    for level in spec.levels:
        if not level.visible:  # activities { totalCount }: paging metadata, not a field
            container = level.prefix.rsplit(".", 1)[0]
            leaves.pop(f"{container}.totalCount", None)
    filterable = _filter_fields(s, spec.filter_type, "")
    if spec.node_filter_type is not None:
        node_prefix = spec.levels[-1].prefix + "."
        filterable |= {node_prefix + p for p in _filter_fields(s, spec.node_filter_type, "")}
    out: dict[str, FieldInfo] = {}
    for path, (type_name, sortable) in leaves.items():
        out[path] = FieldInfo(
            path=path,
            graphql_type=type_name,
            sortable=sortable,
            filterable=path in filterable,
            aggregatable=path not in spec.not_aggregatable,
            groupable=path not in spec.not_groupable,
            level=spec.level_of(path)[0],
        )
    return out


def is_list_field(parent: GraphQLObjectType, name: str) -> bool:
    fld = parent.fields[name]
    t: Any = fld.type
    if is_non_null_type(t):
        t = t.of_type
    return is_list_type(t)
