"""Endpoint URLs: http(s), a host, a port in range; the message names where the URL came from."""

from __future__ import annotations

import pytest

from chainprobe.spec import SpecError
from chainprobe.spec.http_url import InvalidUrlError, check_http_url, url_problem


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:4566/restapis/abc/local/_user_request_/orders",
        "https://api.example.com/orders?key=x",
        "http://[::1]:8080/x",
        "HTTP://localhost",
    ],
)
def test_usable_urls_pass(url: str) -> None:
    assert check_http_url(url, name="send.endpoint") == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://[::1", "malformed: Invalid IPv6 URL"),
        ("http://127.0.0.1:99999/x", "malformed: Port out of range 0-65535"),
        ("http://127.0.0.1:abc/x", "malformed: Port could not be cast to integer value as 'abc'"),
        ("http://127.0.0.1:0/x", "port 0"),
        ("not-a-url", "no scheme"),
        ("ftp://127.0.0.1/orders", "scheme ftp"),
        ("file:///etc/passwd", "scheme file"),
        ("http:///orders", "no host"),
        ("http://", "no host"),
        ("http://h/orders\n", "it holds a space or a control character"),
        ("http://h/a b", "it holds a space or a control character"),
    ],
)
def test_unusable_urls_say_what_is_wrong(url: str, problem: str) -> None:
    assert url_problem(url) == problem
    with pytest.raises(InvalidUrlError) as raised:
        check_http_url(url, name="CHAINPROBE_API_URL")
    assert isinstance(raised.value, SpecError)  # exit 2
    message = str(raised.value)
    assert message.startswith("CHAINPROBE_API_URL: expected an http:// or https:// URL")
    assert "\n" not in message
