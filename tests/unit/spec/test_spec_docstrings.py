"""The examples in the docstrings of the spec, ledger and measure modules run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "chainprobe.spec.checks",
    "chainprobe.spec.duration",
    "chainprobe.spec.paths",
    "chainprobe.spec.reader",
    "chainprobe.spec.request",
    "chainprobe.spec.template",
    "chainprobe.spec.variables",
    "chainprobe.ledger.location",
    "chainprobe.measure.budget",
    "chainprobe.measure.sli",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    flags = doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL
    result = doctest.testmod(importlib.import_module(name), optionflags=flags, report=True)
    assert result.failed == 0
