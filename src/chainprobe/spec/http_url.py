"""What an endpoint URL must be before a run uses it: http or https, a host, a port in range.

``check_http_url`` raises ``InvalidUrlError`` (a ``SpecError``, so exit 2) naming where the URL came from
(a ``CHAINPROBE_*`` variable or a rendered spec field) and what is wrong, so a malformed URL is a
configuration error found before the first order, not a ``connection_error`` on every order.

Example::

    >>> check_http_url("http://127.0.0.1:4566/orders", name="send.endpoint")
    'http://127.0.0.1:4566/orders'
    >>> check_http_url("ftp://h/x", name="CHAINPROBE_API_URL")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    InvalidUrlError: CHAINPROBE_API_URL: expected an http:// or https:// URL, got 'ftp://h/x' (scheme ftp)

The URL is shown in the message as given; the CLI redacts secrets from every line it prints.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from chainprobe.spec.exceptions import SpecError

__all__ = ["HTTP_SCHEMES", "InvalidUrlError", "check_http_url"]

HTTP_SCHEMES = ("http", "https")


class InvalidUrlError(SpecError):
    """An endpoint URL is malformed or not http/https."""


def check_http_url(url: str, *, name: str) -> str:
    """``url`` when it is a usable http(s) URL; else ``InvalidUrlError`` naming ``name``."""
    problem = url_problem(url)
    if problem is not None:
        raise InvalidUrlError(f"expected an http:// or https:// URL, got {url!r} ({problem})", field=name)
    return url


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable http(s) URL, in a few words; ``None`` when it is one."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return "it holds a space or a control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"malformed: {error}"
    if parts.scheme.lower() not in HTTP_SCHEMES:
        return f"scheme {parts.scheme}" if parts.scheme else "no scheme"
    if not parts.hostname:
        return "no host"
    if port == 0:
        return "port 0"
    return None
