"""Which stack ``--chainprobe-stack`` opens, and the one-line usage errors."""

from __future__ import annotations

import pytest

from chainprobe.pytest_plugin.kinds import AVAILABLE, StackUsageError, stack_kind
from chainprobe.pytest_plugin.stack import OPENERS

API = {"CHAINPROBE_API_URL": "https://api.example.com/prod"}


@pytest.mark.parametrize(
    ("asked", "environ", "kind"),
    [
        (None, {}, "local"),
        (None, API, "env"),
        (None, {"CHAINPROBE_API_URL": ""}, "local"),
        ("local", API, "local"),
        ("env", API, "env"),
        ("containers", API, "containers"),
    ],
)
def test_the_kind_asked_or_the_default(asked: str | None, environ: dict[str, str], kind: str) -> None:
    assert stack_kind(asked, environ) == kind


@pytest.mark.parametrize(
    ("asked", "environ", "message"),
    [
        ("kubernetes", {}, "--chainprobe-stack=kubernetes: no such stack, use local or env or containers"),
        ("env", {}, "--chainprobe-stack=env needs CHAINPROBE_API_URL"),
    ],
)
def test_a_kind_that_cannot_be_opened_is_one_line(asked: str, environ: dict[str, str], message: str) -> None:
    with pytest.raises(StackUsageError) as raised:
        stack_kind(asked, environ)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_every_available_kind_has_an_opener() -> None:
    assert set(OPENERS) == set(AVAILABLE)
