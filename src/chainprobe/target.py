"""What a run probes: the endpoint values its spec's templates read, and AWS clients for the same place.

The target is the environment's when ``CHAINPROBE_API_URL`` is set (a staging canary, say: AWS
credentials from the usual chain, ``CHAINPROBE_AWS_ENDPOINT_URL`` for an emulator), and otherwise the
default local stack, brought up first when it is not running.

Every ``CHAINPROBE_*_URL`` variable set must be an http(s) URL (``InvalidUrlError``, exit 2, naming it).

Before a run, ``preflight`` checks what would otherwise fail order by order or leave something behind:
every template of the spec renders for a sample order (``chainprobe.spec.sample``), the API can be
reached, AWS credentials exist, the spec's table and bus exist (exit 2 when not: nothing is created for
a bus that is not there), and the courier journal answers (exit 3 when not).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.exceptions import ClientError, NoCredentialsError

from chainprobe.spec.http_url import check_http_url
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.sample import SampleOrder, render_sample
from chainprobe.spec.template import Scalar
from chainprobe.spec.variables import ENV_PREFIX, endpoint_variables
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.courier_admin import CourierAdmin, CourierAdminError
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


def check_environment_urls(environ: Mapping[str, str] | None = None) -> None:
    """Every non-empty ``CHAINPROBE_*_URL`` variable is an http(s) URL; else ``InvalidUrlError`` naming it."""
    env = os.environ if environ is None else environ
    for name, value in sorted(env.items()):
        if name.startswith(ENV_PREFIX) and name.endswith("_URL") and value:
            check_http_url(value, name=name)


def resolve_target(*, say: Say, start_local: bool = True) -> Target:
    check_environment_urls()
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


def preflight(spec: ProbeSpec, target: Target, *, faults: tuple[str, ...] = ()) -> SampleOrder:
    """Raises a SpecError (a template, a URL, a header), TargetConfigError (credentials, a missing table
    or bus) or TargetError (the API or the courier journal unreachable); returns the sample order."""
    sample = render_sample(spec, target.endpoints, faults=faults)
    endpoint = sample.request.url
    if not can_connect(endpoint):
        raise TargetError(f"cannot reach the API at {urlsplit(endpoint).netloc} ({endpoint})")
    try:
        target.clients.client("sts").get_caller_identity()
    except NoCredentialsError as e:
        raise TargetConfigError("no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)") from e
    except ClientError as e:
        raise TargetConfigError(f"AWS credentials refused: {e.response['Error'].get('Code')}") from e
    if sample.table is not None:
        _require(
            target, "dynamodb", "describe_table", TableName=sample.table, missing=f"table {sample.table}"
        )
    if sample.bus is not None:
        _require(target, "events", "describe_event_bus", Name=sample.bus, missing=f"event bus {sample.bus}")
    if sample.courier_admin_url is not None:
        check_courier_journal(sample.courier_admin_url)
    return sample


def _require(target: Target, service: str, operation: str, *, missing: str, **params: str) -> None:
    try:
        getattr(target.clients.client(service), operation)(**params)
    except ClientError as e:
        if e.response["Error"].get("Code") == "ResourceNotFoundException":
            raise TargetConfigError(f"{missing} does not exist at the target") from e
        raise


def check_courier_journal(admin_url: str, timeout: float = 5.0) -> None:
    """The courier stub's request journal answers as WireMock's does; else TargetError naming the URL."""
    admin = CourierAdmin(admin_url, timeout=timeout)
    try:
        admin.check_journal()
    except CourierAdminError as e:
        raise TargetError(f"cannot read the courier journal at {admin.journal_url} ({e.reason})") from e
