"""Redaction: every secret value of the environment, as written and URL-encoded, and nothing else."""

from __future__ import annotations

import pytest

from chainprobe.spec.secrets import MASK, redact, secret_values

KEY = "k3y/with+plus=and space"
ENV = {
    "CHAINPROBE_API_KEY": KEY,
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEBaaToken",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "CHAINPROBE_COURIER_TOKEN": "courier-token-1",
    "CHAINPROBE_API_URL": "http://127.0.0.1:4566/restapis/x",
    "AWS_DEFAULT_REGION": "us-east-1-long-name",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"header {KEY}", f"header {MASK}"),
        ("http://h/orders?key=k3y%2Fwith%2Bplus%3Dand%20space", f"http://h/orders?key={MASK}"),
        ("http://h/orders?key=k3y%2Fwith%2Bplus%3Dand+space", f"http://h/orders?key={MASK}"),
        ("secret wJalrXUtnFEMI/K7MDENG twice wJalrXUtnFEMI/K7MDENG", f"secret {MASK} twice {MASK}"),
        ("token FwoGZXIvYXdzEBaaToken", f"token {MASK}"),
        ("id AKIAIOSFODNN7EXAMPLE", f"id {MASK}"),
        ("courier-token-1 in a line", f"{MASK} in a line"),
        # not secrets: endpoint values and the region stay readable
        ("cannot reach http://127.0.0.1:4566/restapis/x", "cannot reach http://127.0.0.1:4566/restapis/x"),
        ("region us-east-1-long-name", "region us-east-1-long-name"),
    ],
)
def test_redact_masks_every_secret_value_and_nothing_else(text: str, expected: str) -> None:
    assert redact(text, environ=ENV) == expected


def test_a_key_with_a_trailing_newline_is_masked_with_and_without_it() -> None:
    env = {"CHAINPROBE_API_KEY": "abcdefgh12345\n"}
    assert redact("key abcdefgh12345 and abcdefgh12345\n", environ=env) == f"key {MASK} and {MASK}"


def test_short_values_are_not_redacted() -> None:
    """LocalStack's access key id ``test`` would blank out every occurrence of the word."""
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    assert secret_values(env) == ()
    assert redact("tests/integration/test_x.py", environ=env) == "tests/integration/test_x.py"


def test_longest_secret_first_so_one_inside_another_is_masked_whole() -> None:
    env = {"CHAINPROBE_API_KEY": "abcdefgh", "AWS_SECRET_ACCESS_KEY": "abcdefgh-and-more"}
    assert redact("x abcdefgh-and-more y", environ=env) == f"x {MASK} y"
