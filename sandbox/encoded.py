"""Records encoded straight to JSON text, for answers that show a record as it is.

A taskLegDetails page is 500 legs of 98 members and nine nested objects: the model built each
as a dict (~15 µs), the projection copied it less its private members, ``orjson.dumps`` walked
it again (~6 µs) and freeing it cost another ~2 µs. When the selection is the record's leading
members as they are (the project's all-fields query, no filter), the answer's bytes follow from
the model's values alone, so they are written from a ``%`` template: members no record of the
kind ever changes are written into the template, the parts that come from an entity (an
agent's, a queue's, a site's) are encoded once, and only the rest is formatted. The answer
splices the text in with ``orjson.Fragment``.

A CAR node (47 members, ~10 a task) was tried the same way and lost: formatting its ~26 slots
cost 3.3-3.7 µs a node against 2.2-2.4 µs for building the dict and dumping it; a slot of a
``%`` template costs ~55 ns, about what orjson spends on a member.

JSON escapes a string character by character, so the encoding of a concatenation is the
concatenation of the encodings. ``tests/sandbox/test_encoded.py`` holds every text equal, byte
for byte, to ``orjson.dumps`` of the record the dict path answers, over whole days (open legs
included), and whole answers equal with and without the text path.
"""

from __future__ import annotations

from typing import Any

import orjson

_TEXT: dict[str | None, str] = {None: "null"}


def text(value: str | None) -> str:
    """``value`` (a string or None) as JSON text, kept for the strings a model repeats (names,
    states, events): only strings and None, so True and 1 never share an entry."""
    out = _TEXT.get(value)
    if out is None:
        out = _TEXT[value] = orjson.dumps(value).decode()
        if len(_TEXT) > 100_000:  # bounded: entity names and a few dozen states in practice
            _TEXT.clear()
            _TEXT[None] = "null"
    return out


def value(value: Any) -> str:  # noqa: ANN401 - any JSON value
    """``value`` as JSON text, not kept (a record's own strings: ids, customer details)."""
    return orjson.dumps(value).decode()


BOOLEAN = {True: "true", False: "false", None: "null"}  # looked up with booleans (or None) only


def members(pairs: list[tuple[str, Any]]) -> str:
    """``"name":value`` pairs as JSON text (no braces), encoded by orjson: a record's constant
    members, written into a template once."""
    return orjson.dumps(dict(pairs)).decode()[1:-1]


def template(fields: tuple[str, ...], constants: dict[str, Any]) -> tuple[str, int]:
    """A ``%`` template of a record with ``fields`` in order, and its number of slots: a field
    in ``constants`` is written with its value there, any other opens a slot for its value's
    JSON text (or an int)."""
    parts: list[str] = []
    slots = 0
    for name in fields:
        if name in constants:
            parts.append(members([(name, constants[name])]).replace("%", "%%"))
        else:
            parts.append(f"{text(name)}:%s")
            slots += 1
    return "{" + ",".join(parts) + "}", slots
