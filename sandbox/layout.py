"""Record layouts the data model promises, so a projection checks a selection once, not a record.

The Search engine answers the project's all-fields queries with the model's own dicts (less their
private members) when the selection is every member of the record in the record's order. Checking
that per record (every nested object's members, every activity node's 47 members) cost as much as
serializing it. A record the model renders carries ``"_layout"``: a :class:`Layout` naming its
leading members in order, the members of each nested object, and those of its activity nodes.
The projection compares its selection with a layout once (layouts are module constants, compared
by identity), then trusts every record carrying it. ``tests/sandbox/test_layout.py`` holds the
model to its promise over whole simulated days, open tasks and sessions included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LAYOUT_KEY = "_layout"


class Layout:
    """A record's leading members in order (private ones included; members added after them,
    e.g. the legacy ``entryPoint``, are allowed), its nested objects' layouts by member, and
    the layout of each of its activity nodes (``_activities``), if it has nodes. Nested objects
    and nodes have exactly their layout's members (they are answered as they are)."""

    __slots__ = ("keys", "nested", "nodes")

    def __init__(
        self,
        keys: tuple[str, ...],
        nested: Mapping[str, Layout] | None = None,
        nodes: Layout | None = None,
    ) -> None:
        self.keys = keys
        self.nested: Mapping[str, Layout] = nested or {}
        self.nodes = nodes

    def __repr__(self) -> str:
        return f"Layout({len(self.keys)} members, nested {sorted(self.nested)})"


def flat(*keys: str) -> Layout:
    return Layout(tuple(keys))


def conforms(obj: Any, layout: Layout, *, top: bool = True) -> str | None:  # noqa: ANN401
    """Why ``obj`` breaks ``layout`` (a sentence), or None when it keeps it (tests use it).
    ``top`` False: exactly the layout's members (a nested object, a node)."""
    if type(obj) is not dict:
        return f"not a dict: {type(obj).__name__}"
    members = tuple(obj)
    if (members[: len(layout.keys)] if top else members) != layout.keys:
        return f"members {members} != {layout.keys}"
    for name, inner in layout.nested.items():
        why = conforms(obj[name], inner, top=False)
        if why is not None:
            return f"{name}: {why}"
    if layout.nodes is not None:
        for node in obj.get("_activities") or ():
            why = conforms(node, layout.nodes, top=False)
            if why is not None:
                return f"node {node.get('id')}: {why}"
    return None
