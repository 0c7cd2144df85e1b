"""``${name}`` templates: endpoint values and per-order values put into spec strings.

Syntax: ``${name}`` is replaced by the variable's value, ``${name:-fallback}`` falls back to the text
after ``:-`` when the variable is not provided, ``$$`` is a literal ``$``; any other ``$`` stays as is
(so JSONPath such as ``$.status`` is safe).

Example::

    >>> render("${api_url}/orders", {"api_url": "http://localhost:4566"}, field="send.endpoint")
    'http://localhost:4566/orders'
    >>> render("${table:-Orders}", {})
    'Orders'
    >>> render_value({"seq": "${seq}", "note": "n-${seq}"}, {"seq": 7})
    {'seq': 7, 'note': 'n-7'}

A string that is exactly one ``${name}`` renders to the variable's own value, keeping its type
(``seq`` stays an int); anywhere else values are interpolated as text.

Raises ``TemplateSyntaxError`` for an unterminated ``${`` or a bad name and ``UnknownVariableError``
for a variable that is neither provided nor given a fallback; both name the field when given.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chainprobe.spec.exceptions import TemplateSyntaxError, UnknownVariableError

__all__ = ["Scalar", "Variables", "render", "render_value", "template_variables"]

type Scalar = str | int | float
type Variables = Mapping[str, Scalar]

_TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_PREFIX = "CHAINPROBE_"


@dataclass(frozen=True)
class _Placeholder:
    name: str
    fallback: str | None


def template_variables(template: str, *, field: str | None = None) -> frozenset[str]:
    """The variable names a template uses (checking its syntax)."""
    return frozenset(token.name for token in _tokens(template, field) if isinstance(token, _Placeholder))


def render(template: str, variables: Variables, *, field: str | None = None) -> str:
    """Interpolate every placeholder of ``template`` as text."""
    return "".join(
        token if isinstance(token, str) else str(_lookup(token, variables, field))
        for token in _tokens(template, field)
    )


def render_value(value: object, variables: Variables, *, field: str | None = None) -> object:
    """Render every string inside a JSON-like value (mappings and lists recursively, keys untouched)."""
    if isinstance(value, str):
        tokens = _tokens(value, field)
        if len(tokens) == 1 and isinstance(tokens[0], _Placeholder):
            return _lookup(tokens[0], variables, field)
        return render(value, variables, field=field)
    if isinstance(value, Mapping):
        return {
            key: render_value(item, variables, field=_join(field, str(key))) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [render_value(item, variables, field=f"{field or ''}[{i}]") for i, item in enumerate(value)]
    return value


def _tokens(template: str, field: str | None) -> list[str | _Placeholder]:
    tokens: list[str | _Placeholder] = []
    position = 0
    for match in _TOKEN.finditer(template):
        if match.start() > position:
            tokens.append(template[position : match.start()])
        tokens.append(_token(match, template, field))
        position = match.end()
    if position < len(template):
        tokens.append(template[position:])
    return tokens


def _token(match: re.Match[str], template: str, field: str | None) -> str | _Placeholder:
    if match.group(0) == "$$":
        return "$"
    body = match.group(1)
    if body is None:
        raise TemplateSyntaxError(f"unterminated '${{' in template {template!r}", field=field)
    name, separator, fallback = body.partition(":-")
    if _NAME.fullmatch(name) is None:
        raise TemplateSyntaxError(
            f"expected a variable name such as ${{api_url}}, got '${{{body}}}' in template {template!r}",
            field=field,
        )
    return _Placeholder(name=name, fallback=fallback if separator else None)


def _lookup(placeholder: _Placeholder, variables: Variables, field: str | None) -> Scalar:
    if placeholder.name in variables:
        return variables[placeholder.name]
    if placeholder.fallback is not None:
        return placeholder.fallback
    raise UnknownVariableError(_unknown_message(placeholder.name, variables), field=field)


def _unknown_message(name: str, variables: Variables) -> str:
    known = sorted(variables)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean ${{{close[0]}}}?)" if close else ""
    listed = ", ".join(known) if known else "none"
    return (
        f"unknown variable ${{{name}}}{hint}; known variables: {listed};"
        f" set {_ENV_PREFIX}{name.upper()} or give a fallback as ${{{name}:-value}}"
    )


def _join(prefix: str | None, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
