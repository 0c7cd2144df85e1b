"""The commands of a parsed query, in the order they run (each reads the rows the previous one left)."""

from __future__ import annotations

from dataclasses import dataclass

from .expressions import Expr


@dataclass(frozen=True)
class Item:
    """An expression of ``fields``/``display``/``stats`` with the name it gets in the result."""

    expr: Expr
    name: str


@dataclass(frozen=True)
class Fields:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Display:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Filter:
    condition: Expr


@dataclass(frozen=True)
class Stats:
    aggregates: tuple[Item, ...]
    groups: tuple[Item, ...]


@dataclass(frozen=True)
class SortKey:
    expr: Expr
    descending: bool


@dataclass(frozen=True)
class Sort:
    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Limit:
    count: int


@dataclass(frozen=True)
class Parse:
    """``parse f "a*b" as x, y`` (glob, compiled to ``pattern``) or ``parse f /(?<x>..)/``."""

    source: Expr
    pattern: str  # a Python regular expression with one named group per extracted field
    names: tuple[str, ...]


Command = Fields | Display | Filter | Stats | Sort | Limit | Parse


@dataclass(frozen=True)
class Query:
    text: str
    commands: tuple[Command, ...]

    @property
    def has_stats(self) -> bool:
        return any(isinstance(c, Stats) for c in self.commands)
