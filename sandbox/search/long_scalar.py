"""The ``Long`` scalar as the real service coerces it, with its error messages.

The Search API answers errors in graphql-java's shapes, and its ``Long`` is most likely
graphql-java-extended-scalars' ``GraphQLLong`` (``graphql/scalars/java/JavaPrimitives.java``):

- a literal (``from: 1767874520000`` or ``from: "1767874520000"``): an ``IntValue`` in the 64-bit
  range, or a ``StringValue`` that ``Long.parseLong`` reads (an optional sign and decimal digits,
  nothing else); any other literal kind is refused;
- a variable value (``{"from": "1795003200000"}``): a number or a string that
  ``new BigDecimal(s).longValueExact()`` reads, so ``"1.0"`` and ``"1e3"`` pass but ``"1.5"``,
  ``" 1"`` and out-of-range values do not.

graphql-java wraps the scalar's message: a literal fails validation with
``Validation error (WrongType@[taskDetails]) : argument 'from' with value
'StringValue{value='x'}' is not a valid 'Long' - <message>`` (its ``Validation.properties``,
``ArgumentValidationUtil.handleScalarErrorCustomMessage``), a variable with ``Variable 'from' has
an invalid value: <message>`` (``ValuesResolver``). graphql-core reports the same failures in its
own words; :func:`java_message` rewrites them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    GraphQLError,
    IntValueNode,
    ListValueNode,
    Node,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1

# java.lang.Long.parseLong: an optional sign, then decimal digits (Character.digit accepts any
# Unicode decimal digit, as Python's \d and int() do).
_PARSE_LONG = re.compile(r"[+-]?\d+")
# java.math.BigDecimal(String): sign, digits with at most one point, optional exponent.
_BIG_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class LongCoercionError(ValueError):
    """A value the Long scalar refuses; the message is graphql-java's coercing message."""


def java_literal(node: Node) -> str:
    """A value node as graphql-java's ``toString()`` prints it (``StringValue{value='x'}``)."""
    if isinstance(node, StringValueNode):
        return f"StringValue{{value='{node.value}'}}"
    if isinstance(node, IntValueNode):
        return f"IntValue{{value={int(node.value)}}}"
    if isinstance(node, FloatValueNode):
        return f"FloatValue{{value={Decimal(node.value)}}}"
    if isinstance(node, BooleanValueNode):
        return f"BooleanValue{{value={'true' if node.value else 'false'}}}"
    if isinstance(node, EnumValueNode):
        return f"EnumValue{{name='{node.value}'}}"
    if isinstance(node, NullValueNode):
        return "NullValue{}"
    if isinstance(node, VariableNode):
        return f"VariableReference{{name='{node.name.value}'}}"
    if isinstance(node, ListValueNode):
        return "ArrayValue{values=[" + ", ".join(java_literal(v) for v in node.values) + "]}"
    if isinstance(node, ObjectValueNode):
        fields = ", ".join(
            f"ObjectField{{name='{f.name.value}', value={java_literal(f.value)}}}"
            for f in node.fields
        )
        return f"ObjectValue{{objectFields=[{fields}]}}"
    return type(node).__name__


_AST_NAMES = {
    FloatValueNode: "FloatValue",
    BooleanValueNode: "BooleanValue",
    EnumValueNode: "EnumValue",
    NullValueNode: "NullValue",
    ListValueNode: "ArrayValue",
    ObjectValueNode: "ObjectValue",
    VariableNode: "VariableReference",
}


def parse_literal(node: ValueNode, _variables: Any = None) -> int:
    """``GraphQLLong.parseLiteral``: an in-range IntValue, or a StringValue ``parseLong`` reads."""
    if isinstance(node, StringValueNode):
        text = node.value
        if _PARSE_LONG.fullmatch(text):
            value = int(text)
            if LONG_MIN <= value <= LONG_MAX:
                return value
        raise LongCoercionError(f"Expected value to be a Long but it was '{java_literal(node)}'")
    if isinstance(node, IntValueNode):
        value = int(node.value)
        if LONG_MIN <= value <= LONG_MAX:
            return value
        raise LongCoercionError(f"Expected value to be in the Long range but it was '{value}'")
    kind = _AST_NAMES.get(type(node), type(node).__name__)
    raise LongCoercionError(f"Expected AST type 'IntValue' or 'StringValue' but was '{kind}'.")


def _java_type(value: Any) -> str:
    """The Java class Jackson gives a JSON value (what the coercing message names)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, str):
        return "String"
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return "Integer"
        return "Long" if LONG_MIN <= value <= LONG_MAX else "BigInteger"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, dict):
        return "LinkedHashMap"
    if isinstance(value, list):
        return "ArrayList"
    return type(value).__name__


def _java_number_text(value: Any) -> str | None:
    """``input.toString()`` for a number or string (None for other kinds)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # a finite double's digits; BigDecimal reads both notations
    return None


def parse_value(value: Any) -> int:
    """``GraphQLLong.parseValue``: a number or string ``BigDecimal(..).longValueExact()`` reads."""
    text = _java_number_text(value)
    if text is not None and _BIG_DECIMAL.fullmatch(text):
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            number = None
        if number is not None and number == number.to_integral_value():
            exact = int(number)
            if LONG_MIN <= exact <= LONG_MAX:
                return exact
    raise LongCoercionError(f"Expected type 'Long' but was '{_java_type(value)}'.")


def serialize(value: Any) -> Any:
    return value


def java_message(error: GraphQLError, document: DocumentNode | None) -> str | None:
    """graphql-java's message for a Long coercion failure graphql-core reported, else None."""
    cause = error.original_error
    while cause is not None and not isinstance(cause, LongCoercionError):
        cause = getattr(cause, "original_error", None)
    if cause is None:
        return None
    node = error.nodes[0] if error.nodes else None
    if isinstance(node, VariableDefinitionNode):
        return f"Variable '{node.variable.name.value}' has an invalid value: {cause}"
    if node is None or document is None:
        return str(cause)
    where = _argument_path(document, node)
    if where is None:
        return str(cause)
    fields, argument = where
    return (
        f"Validation error (WrongType@[{'/'.join(fields)}]) : argument '{argument}' with value "
        f"'{java_literal(node)}' is not a valid 'Long' - {cause}"
    )


def _argument_path(document: DocumentNode, target: Node) -> tuple[list[str], str] | None:
    """The field path and the argument path (``filter.createdTime.gte``) holding ``target``."""
    found: list[tuple[list[str], str]] = []

    class _Finder(Visitor):
        def enter(self, node: Node, _key: Any, parent: Any, _path: Any, ancestors: Any) -> Any:
            if node is not target:
                return None
            chain = [a for a in (*ancestors, parent) if isinstance(a, Node)] + [node]
            fields = [a.name.value for a in chain if isinstance(a, FieldNode)]
            argument = ""
            for i, a in enumerate(chain):
                if isinstance(a, ArgumentNode):
                    argument = a.name.value
                elif isinstance(a, ObjectFieldNode):
                    argument += "." + a.name.value
                elif isinstance(a, ListValueNode) and i + 1 < len(chain):
                    argument += f"[{list(a.values).index(chain[i + 1])}]"
            found.append((fields, argument))
            return Visitor.BREAK

    visit(document, _Finder())
    return found[0] if found else None
