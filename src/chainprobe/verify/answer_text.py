"""The text of an API answer as a verdict's details show it: bounded, with secrets redacted.

A bad answer's details say what the chain put in the body (``API answered 200, expected 201: {"error":
"quota exceeded"}``), cut to ``MAX_ANSWER_CHARS`` characters. Before it is cut, every secret value is
replaced by ``***``: the API key the spec sends (``${api_key}``, from ``CHAINPROBE_API_KEY``) and the AWS
credentials in the environment — a chain that echoes a request header back must not put the key into
the ledger or a report. (A local stand-in until the harness's shared redaction module is merged.)

Example::

    >>> answer_excerpt({"error": "bad key k-123456"}, secrets=["k-123456"])
    '{"error": "bad key ***"}'
    >>> cut = answer_excerpt("x" * 300, secrets=[])
    >>> len(cut), cut[-2:]
    (200, 'x…')
    >>> answer_excerpt(None, secrets=[]) is None
    True
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping

__all__ = ["MAX_ANSWER_CHARS", "REDACTED", "answer_excerpt", "redact", "secret_values"]

MAX_ANSWER_CHARS = 200
REDACTED = "***"
# Shorter values are not secrets worth the name, and replacing them would garble the text.
MIN_SECRET_CHARS = 4
SECRET_VARIABLES = ("api_key",)
SECRET_ENVIRONMENT = ("CHAINPROBE_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def secret_values(variables: Mapping[str, object], environ: Mapping[str, str] | None = None) -> list[str]:
    """The values to redact: the spec's ``api_key`` variable and the secret environment variables."""
    env = os.environ if environ is None else environ
    found = [variables.get(name) for name in SECRET_VARIABLES] + [
        env.get(name) for name in SECRET_ENVIRONMENT
    ]
    values = {value for value in found if isinstance(value, str) and len(value) >= MIN_SECRET_CHARS}
    return sorted(values, key=len, reverse=True)  # a secret containing another goes first


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET_CHARS:
            text = text.replace(secret, REDACTED)
    return text


def answer_excerpt(body: object, *, secrets: Iterable[str], limit: int = MAX_ANSWER_CHARS) -> str | None:
    """The body as one line of at most ``limit`` characters (``…`` marks a cut), or None when empty.

    ``body`` is the answer's parsed JSON, or its text when it was not JSON.
    """
    if body is None or body == "":
        return None
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    text = " ".join(redact(text, secrets).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
