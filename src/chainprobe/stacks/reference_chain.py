"""Packages and deploys the reference chain (``chain/``) with CloudFormation, locally or on AWS.

The template is the same everywhere; only the parameters differ. Each function directory under
``chain/functions`` becomes a zip holding its code, the modules the functions share
(``chain/shared``, e.g. ``chain_faults.py``, at the zip's root next to ``app.py``) and the packages
of ``chain/requirements.txt`` (as on AWS, a function's dependencies come from its deployment
package). Zips are named by content hash, so a redeploy with unchanged code changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chainprobe.stacks import paths
from chainprobe.stacks.clients import AwsClients
from chainprobe.stacks.endpoints import StackEndpoints
from chainprobe.stacks.exceptions import DeployError, ToolInstallError

STACK_NAME = "chainprobe-orders"
FUNCTIONS = {"orders": "OrdersCodeKey", "delivery": "DeliveryCodeKey"}
TERMINAL_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True, kw_only=True)
class ChainParameters:
    courier_url: str
    publish_mode: str = "strict"
    fault_config_url: str = ""

    def as_cloudformation(self, code_keys: dict[str, str], bucket: str) -> list[dict[str, str]]:
        values = {
            "ArtifactBucket": bucket,
            "CourierUrl": self.courier_url,
            "PublishMode": self.publish_mode,
            "FaultConfigUrl": self.fault_config_url,
            **code_keys,
        }
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]


@dataclass(frozen=True)
class DeployedChain:
    outputs: dict[str, str]
    changed: bool

    def api_url(self, clients: AwsClients) -> str:
        api_id = self.outputs["ApiId"]
        if clients.endpoint_url:
            return f"{clients.endpoint_url}/_aws/execute-api/{api_id}/prod"
        return f"https://{api_id}.execute-api.{clients.region}.amazonaws.com/prod"

    def endpoints(self, clients: AwsClients, *, courier_url: str) -> StackEndpoints:
        """Where the harness reaches this chain (``courier_url``: the courier as seen from here)."""
        return StackEndpoints(
            api_url=self.api_url(clients),
            aws_endpoint_url=clients.endpoint_url,
            region=clients.region,
            courier_url=courier_url,
            table=self.outputs["TableName"],
            bus=self.outputs["BusName"],
        )


def dependencies_dir(say: Callable[[str], None]) -> Path:
    """The chain's requirements, installed once per requirements content for Python 3.12 (manylinux)."""
    requirements = paths.chain_dir() / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    target = paths.home() / "build" / f"deps-{digest}"
    if target.exists():
        return target
    say("installing the chain's function dependencies")
    partial = target.with_suffix(".part")
    command = [
        sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
        "--target", str(partial), "--python-version", "3.12", "--only-binary=:all:",
        "--platform", "manylinux2014_x86_64", "--implementation", "cp", "-r", str(requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ToolInstallError(f"function dependencies failed to install: {result.stderr.strip()[-300:]}")
    partial.rename(target)
    return target


def add_tree(archive: zipfile.ZipFile, root: Path) -> None:
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = file.relative_to(root)
        if "__pycache__" in relative.parts or file.suffix == ".pyc":
            continue
        if str(relative) in archive.NameToInfo:
            raise DeployError(f"{relative} is in more than one tree of the deployment package ({root})")
        info = zipfile.ZipInfo(str(relative), date_time=ZIP_EPOCH)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, file.read_bytes())


def function_zip(function_dir: Path, deps: Path, shared: Path | None = None) -> bytes:
    """The deployment package: ``deps``, then ``shared`` (if any), then the function's own files.

    Byte for byte the same for the same inputs (fixed timestamps and modes, sorted entries), so the
    content hash names it. A name in two trees is refused: nothing may silently shadow another file.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for tree in (deps, shared, function_dir):
            if tree is not None:
                add_tree(archive, tree)
    return buffer.getvalue()


def artifact_bucket_name(clients: AwsClients) -> str:
    account = clients.client("sts").get_caller_identity()["Account"]
    return f"chainprobe-artifacts-{account}-{clients.region}"


def artifact_bucket(clients: AwsClients) -> str:
    """The artifact bucket of this account and region, created when missing."""
    bucket = artifact_bucket_name(clients)
    s3 = clients.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        create: dict[str, Any] = {"Bucket": bucket}
        if clients.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": clients.region}
        s3.create_bucket(**create)
    return bucket


def delete_artifacts(clients: AwsClients) -> int:
    """Deletes the chain's deployment packages, and the artifact bucket once empty; returns how many."""
    bucket = artifact_bucket_name(clients)
    s3 = clients.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        return 0
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="chain/"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
            deleted += len(keys)
    if not s3.list_objects_v2(Bucket=bucket, MaxKeys=1).get("KeyCount"):
        s3.delete_bucket(Bucket=bucket)
    return deleted


def upload_functions(clients: AwsClients, bucket: str, say: Callable[[str], None]) -> dict[str, str]:
    deps = dependencies_dir(say)
    keys: dict[str, str] = {}
    for name, parameter in FUNCTIONS.items():
        body = function_zip(paths.chain_dir() / "functions" / name, deps, paths.chain_dir() / "shared")
        key = f"chain/{name}-{hashlib.sha256(body).hexdigest()[:16]}.zip"
        clients.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        keys[parameter] = key
    return keys


class ChainStack:
    """The reference chain's CloudFormation stack on one target."""

    def __init__(self, clients: AwsClients, name: str = STACK_NAME) -> None:
        self.clients = clients
        self.name = name
        self.cloudformation = clients.client("cloudformation")

    def status(self) -> str | None:
        try:
            stacks = self.cloudformation.describe_stacks(StackName=self.name)["Stacks"]
        except ClientError:
            return None
        return str(stacks[0]["StackStatus"]) if stacks else None

    def first_failure(self) -> str:
        events = self.cloudformation.describe_stack_events(StackName=self.name)["StackEvents"]
        for event in reversed(events):
            if event.get("ResourceStatus", "").endswith("_FAILED"):
                reason = event.get("ResourceStatusReason", "no reason given")
                return f"{event.get('LogicalResourceId')} {event['ResourceStatus']}: {reason}"
        return "no failed resource event recorded"

    def wait(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status() or "DELETE_COMPLETE"
            if not status.endswith("_IN_PROGRESS"):
                return status
            time.sleep(0.5)
        raise DeployError(f"stack {self.name} still in progress after {timeout:.0f} s")

    def outputs(self) -> dict[str, str]:
        stack = self.cloudformation.describe_stacks(StackName=self.name)["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def deploy(
        self, parameters: ChainParameters, *, say: Callable[[str], None] = print, timeout: float = 300.0
    ) -> DeployedChain:
        """Creates or updates the stack and waits; DeployError names the resource that failed."""
        bucket = artifact_bucket(self.clients)
        code_keys = upload_functions(self.clients, bucket, say)
        request = {
            "StackName": self.name,
            "TemplateBody": (paths.chain_dir() / "template.yaml").read_text(),
            "Parameters": parameters.as_cloudformation(code_keys, bucket),
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        }
        existing = self.status()
        if existing and existing not in TERMINAL_OK and not existing.endswith("ROLLBACK_COMPLETE"):
            existing = self.wait(timeout)
        if existing == "ROLLBACK_COMPLETE":
            self.cloudformation.delete_stack(StackName=self.name)
            self.wait(timeout)
            existing = None
        try:
            if existing is None:
                say(f"creating stack {self.name}")
                self.cloudformation.create_stack(**request)
            else:
                self.cloudformation.update_stack(**request)
                say(f"updating stack {self.name}")
        except ClientError as e:
            if "No updates are to be performed" in str(e):
                return DeployedChain(outputs=self.outputs(), changed=False)
            raise DeployError(f"CloudFormation refused the chain: {e.response['Error']['Message']}") from e
        status = self.wait(timeout)
        if status not in TERMINAL_OK:
            raise DeployError(f"stack {self.name} ended {status}: {self.first_failure()}")
        return DeployedChain(outputs=self.outputs(), changed=True)

    def delete(self, timeout: float = 300.0) -> None:
        if self.status() is None:
            return
        self.cloudformation.delete_stack(StackName=self.name)
        self.wait(timeout)
