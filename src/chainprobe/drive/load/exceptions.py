"""Errors raised while preparing or driving a load run: one base class, one subclass per situation."""

from __future__ import annotations

__all__ = [
    "DriverError",
    "InvalidShapesError",
    "LoadError",
    "RemoteTargetError",
    "ShapeError",
    "UnknownShapeError",
]


class LoadError(Exception):
    """A load run cannot be prepared or driven as asked."""


class ShapeError(LoadError):
    """A load shape cannot be used as written (exit 2)."""


class InvalidShapesError(ShapeError):
    """A shapes file is malformed; the message names the file and the field, on one line."""


class UnknownShapeError(ShapeError):
    """No shape has this name; the message lists the names there are."""


class RemoteTargetError(LoadError):
    """The load target is not on this machine's loopback and ``--allow-remote`` was not given (exit 2)."""


class DriverError(LoadError):
    """The Locust processes could not be started (exit 3)."""
