"""What a run probes: the endpoint values its spec's templates read, and AWS clients for the same place.

The target is the environment's when ``CHAINPROBE_API_URL`` is set (a staging canary, say: AWS
credentials from the usual chain, ``CHAINPROBE_AWS_ENDPOINT_URL`` for an emulator), and otherwise the
default local stack, brought up first when it is not running.

Before a run, ``preflight`` checks what would otherwise fail order by order: the API can be reached,
AWS credentials exist, the spec's table exists.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.exceptions import ClientError, NoCredentialsError

from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import Scalar, render
from chainprobe.spec.variables import endpoint_variables
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.exceptions import StackError
from chainprobe.stacks.local.stack import LocalStack

Say = Callable[[str], None]


class TargetError(StackError):
    """The target cannot be reached (exit 3)."""


class TargetConfigError(Exception):
    """The target is misconfigured: no credentials, a table that does not exist (exit 2)."""


@dataclass(frozen=True)
class Target:
    name: str
    endpoints: dict[str, Scalar]
    clients: AwsClients


def resolve_target(*, say: Say, start_local: bool = True) -> Target:
    if os.environ.get("CHAINPROBE_API_URL"):
        clients = AwsClients.from_environment()
        endpoints = endpoint_variables({"region": clients.region})
        return Target(name=urlsplit(str(endpoints["api_url"])).netloc, endpoints=endpoints, clients=clients)
    stack = LocalStack(say=say)
    status = stack.status()
    if not status["running"] or "api_url" not in status:
        if not start_local:
            raise TargetError("the local stack is not running: start it with 'chainprobe up'")
        say("the local stack is not running: starting it ('chainprobe down' stops it)")
        stack.up()
        status = stack.status()
    clients = AwsClients.local(str(status["aws_endpoint_url"]), str(status["region"]))
    return Target(name="local", endpoints=endpoint_variables(status), clients=clients)


def can_connect(url: str, timeout: float = 3.0) -> bool:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def preflight(spec: ProbeSpec, target: Target) -> None:
    """Raises TargetError (unreachable) or TargetConfigError (credentials, missing table)."""
    endpoint = render(spec.send.endpoint, target.endpoints, field="send.endpoint")
    if not can_connect(endpoint):
        raise TargetError(f"cannot reach the API at {urlsplit(endpoint).netloc} ({endpoint})")
    try:
        target.clients.client("sts").get_caller_identity()
    except NoCredentialsError as e:
        raise TargetConfigError("no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)") from e
    except ClientError as e:
        raise TargetConfigError(f"AWS credentials refused: {e.response['Error'].get('Code')}") from e
    if spec.dynamodb is not None:
        table = render(spec.dynamodb.table, target.endpoints, field="dynamodb.table")
        try:
            target.clients.client("dynamodb").describe_table(TableName=table)
        except ClientError as e:
            if e.response["Error"].get("Code") == "ResourceNotFoundException":
                raise TargetConfigError(f"table {table} does not exist at the target") from e
            raise
