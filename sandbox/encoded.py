"""Records encoded straight to JSON text, for answers that show a record as it is.

A taskLegDetails page is 500 legs of 98 members and nine nested objects: the model built each
as a dict (~15 µs), the projection copied it less its private members, ``orjson.dumps`` walked
it again (~6 µs) and freeing it cost another ~2 µs. When the selection is the record's leading
members as they are (the project's all-fields query, no filter), the answer's bytes follow from
the model's values alone, so they are written by a function compiled once (``formatter``):
members no record of the kind ever changes are in its text, the parts that come from an entity
(an agent's, a queue's, a site's) are encoded once, and only the rest is formatted. The answer
splices the text in with ``orjson.Fragment``.

A CAR node (47 members, ~10 a task) was tried the same way and lost: formatting its ~26 slots
cost 3.3-3.7 µs a node against 2.2-2.4 µs for building the dict and dumping it; a formatted
slot costs about what orjson spends on a member, so text pays only for records with many
fixed members.

JSON escapes a string character by character, so the encoding of a concatenation is the
concatenation of the encodings. ``tests/sandbox/test_encoded.py`` holds every text equal, byte
for byte, to ``orjson.dumps`` of the record the dict path answers, over whole days (open legs
included), and whole answers equal with and without the text path.
"""

from __future__ import annotations

from collections.abc import Callable
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
    members, written into a formatter once."""
    return orjson.dumps(dict(pairs)).decode()[1:-1]


def formatter(fields: tuple[str, ...], constants: dict[str, Any]) -> Callable[..., str]:
    """A function writing a record with ``fields`` in order: a field in ``constants`` is written
    with its value there; the function takes the JSON text (or an int) of each other field,
    in order, as positional arguments, and ignores any further ones.

    Compiled to an f-string once: ``%`` formatting scans its whole template on every call
    (~2,000 characters a leg), an f-string only joins its parts (a quarter less a leg). The
    source holds only ``repr()`` of the fixed text and generated argument names."""
    literals: list[str] = []
    current = "{"
    for i, name in enumerate(fields):
        sep = "," if i else ""
        if name in constants:
            current += sep + members([(name, constants[name])])
        else:
            literals.append(current + sep + text(name) + ":")
            current = ""
    current += "}"
    names = [f"v{i}" for i in range(len(literals))]
    body = "".join(_braced(lit) + "{" + n + "}" for lit, n in zip(literals, names, strict=True))
    source = (
        f"def write({', '.join([*names, '*_rest'])}):\n    return f{body + _braced(current)!r}\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, "<sandbox-encoded>", "exec"), namespace)  # noqa: S102
    write: Callable[..., str] = namespace["write"]
    return write


def _braced(literal: str) -> str:
    """``literal`` as the fixed text of an f-string."""
    return literal.replace("{", "{{").replace("}", "}}")
