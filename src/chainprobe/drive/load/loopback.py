"""The load guard: a load run sends its traffic to this machine's loopback unless told otherwise.

A host is loopback when it is a loopback address (``127.0.0.0/8``, ``::1``) or a name all of whose
addresses are. Anything else (a private or public address, a name that does not resolve) is refused
unless ``allow_remote`` is given: a real staging run is a deliberate act.

Example::

    >>> loopback_problem("http://127.0.0.1:4566/_aws/execute-api/x/prod/orders") is None
    True
    >>> loopback_problem("http://10.0.0.7/orders")
    '10.0.0.7 is not a loopback address'
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from chainprobe.drive.load.exceptions import RemoteTargetError

__all__ = ["loopback_problem", "require_loopback"]


def loopback_problem(url: str) -> str | None:
    """Why ``url``'s host is not on the loopback, or ``None`` when it is."""
    host = urlsplit(url).hostname
    if not host:
        return f"{url!r} names no host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None if address.is_loopback else f"{host} is not a loopback address"
    try:
        found = {str(info[4][0]).split("%", 1)[0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return f"{host} does not resolve"
    if found and all(ipaddress.ip_address(item).is_loopback for item in found):
        return None
    return f"{host} resolves to {', '.join(sorted(found))}, not a loopback address"


def require_loopback(url: str, *, allow_remote: bool) -> None:
    """Raises ``RemoteTargetError`` when ``url`` is not on the loopback and remote was not allowed."""
    problem = loopback_problem(url)
    if problem is not None and not allow_remote:
        raise RemoteTargetError(
            f"refusing to send load to {urlsplit(url).netloc or url}: {problem} "
            "(pass --allow-remote for a deliberate run against a real target)"
        )
