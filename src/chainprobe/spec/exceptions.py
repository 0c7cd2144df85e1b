"""Errors raised while loading, validating or rendering a probe spec.

Every error renders as ONE line naming the file, the field path and what was expected, for example::

    probes/x.yaml: slo.availability.objective: expected a number between 0 and 1, got 'high'

so the CLI can print ``str(error)`` and exit 2.
"""

from __future__ import annotations

from typing import Self

__all__ = [
    "InvalidValueError",
    "MissingFieldError",
    "SpecError",
    "SpecFileError",
    "SpecSyntaxError",
    "TemplateError",
    "TemplateSyntaxError",
    "UnknownFieldError",
    "UnknownVariableError",
    "WrongTypeError",
]


class SpecError(Exception):
    """A probe spec cannot be used as written.

    ``source`` is the spec file (when known), ``field`` the dotted field path (when known) and
    ``reason`` what is wrong; ``str(error)`` joins the three on one line.
    """

    def __init__(self, reason: str, *, source: str | None = None, field: str | None = None) -> None:
        self.reason = reason
        self.source = source
        self.field = field
        super().__init__(_one_line(": ".join(part for part in (source, field, reason) if part)))

    def with_source(self, source: str) -> Self:
        """The same error, naming the spec file it came from."""
        return type(self)(self.reason, source=source, field=self.field)


class SpecFileError(SpecError):
    """The spec file cannot be read (missing, a directory, no permission, not UTF-8)."""


class SpecSyntaxError(SpecError):
    """The spec file is not well-formed YAML (or repeats a key)."""


class UnknownFieldError(SpecError):
    """A mapping holds a field the spec format does not define (a typo, usually)."""


class MissingFieldError(SpecError):
    """A required field is absent."""


class WrongTypeError(SpecError):
    """A field holds a value of the wrong type (a list where a mapping belongs, text for a number...)."""


class InvalidValueError(SpecError):
    """A field has the right type but a value out of range or inconsistent with another field."""


class TemplateError(SpecError):
    """A ``${name}`` template cannot be parsed or rendered."""


class TemplateSyntaxError(TemplateError):
    """A template holds an unterminated ``${`` or an invalid variable name."""


class UnknownVariableError(TemplateError):
    """A template names a variable that no endpoint value or per-order value provides."""


def _one_line(text: str) -> str:
    return " ".join(text.split())
