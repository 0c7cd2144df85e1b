"""The plugin's own errors share one base: a probe that could not reach a verdict, said in one line."""

from __future__ import annotations


class ProbeError(RuntimeError):
    """A probe has no verdict to give (its run stopped, an order not judged): the message says why."""
