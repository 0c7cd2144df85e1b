"""Secret values a spec may use (an API key) or the environment holds (AWS credentials), and their redaction.

A secret is the value of ``CHAINPROBE_API_KEY`` (and of any ``CHAINPROBE_*`` variable whose name says
KEY, SECRET, TOKEN or PASSWORD), ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` or
``AWS_SESSION_TOKEN``. ``redact`` replaces every occurrence of each, as written and as it appears
percent-encoded in a URL (``?key=...``), with ``***``. Every line the CLI prints and every report goes
through it.

Example::

    >>> redact("http://h/orders?key=s3cr3t-value", environ={"CHAINPROBE_API_KEY": "s3cr3t-value"})
    'http://h/orders?key=***'

Limitation: values shorter than ``MIN_SECRET_CHARS`` are not redacted (LocalStack's access key ``test``
would otherwise blank out every occurrence of the word); a real key is longer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "MIN_SECRET_CHARS", "SECRET_VARIABLES", "redact", "secret_values"]

MASK = "***"
MIN_SECRET_CHARS = 8
SECRET_VARIABLES = ("CHAINPROBE_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_SECRET_NAME = re.compile(r"CHAINPROBE_\w*(KEY|SECRET|TOKEN|PASSWORD)\w*")


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The secret values in ``environ`` (default ``os.environ``), with their URL-encoded forms, longest
    first (so a secret containing another is masked whole)."""
    env = os.environ if environ is None else environ
    names = {name for name in env if name in SECRET_VARIABLES or _SECRET_NAME.fullmatch(name)}
    values: set[str] = set()
    for name in names:
        value = env[name]
        for form in (value, value.strip(), quote(value, safe=""), quote_plus(value, safe="")):
            if len(form) >= MIN_SECRET_CHARS:
                values.add(form)
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str, *, environ: Mapping[str, str] | None = None) -> str:
    """``text`` with every secret value of ``environ`` (default ``os.environ``) replaced by ``***``."""
    for value in secret_values(environ):
        text = text.replace(value, MASK)
    return text
