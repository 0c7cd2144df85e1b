"""The two servers of the local stack, as ``ServerProcess`` values: LocalStack and WireMock."""

from __future__ import annotations

import json
import os
from pathlib import Path

from chainprobe.stacks.local.ownership import STACK_MARK, stack_mark
from chainprobe.stacks.local.process import LOOPBACK, ServerProcess
from chainprobe.stacks.local.tools import Tools
from chainprobe.stacks.local.wiremock_extension import extension_jar

# Only what LocalStack needs from the host; its own configuration is spelled out below.
HOST_ENV_KEYS = ("PATH", "HOME", "LANG", "LC_ALL")


def localstack_server(
    tools: Tools, *, port: int, state_dir: Path, lambda_concurrency: int, alarm_evaluation_seconds: int
) -> ServerProcess:
    """LocalStack's own runtime on the host, bound to 127.0.0.1, with chainprobe's plugins selected."""
    root = state_dir / "localstack"
    tmp = root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    runtimes = {name: str(path) for name, path in tools.lambda_runtimes.items()}
    env = {k: os.environ[k] for k in HOST_ENV_KEYS if k in os.environ}
    env.update(
        {
            "OVERRIDE_IN_DOCKER": "0",
            "GATEWAY_LISTEN": f"{LOOPBACK}:{port}",
            # The default (twisted) server ignores the host part and binds 0.0.0.0.
            "GATEWAY_SERVER": "hypercorn",
            "FILESYSTEM_ROOT": str(root),
            "TMPDIR": str(tmp),
            "XDG_CACHE_HOME": str(tools.plux_cache),
            "DNS_ADDRESS": "0",
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "LOCALSTACK_HOST": f"localhost.localstack.cloud:{port}",
            "LAMBDA_RUNTIME_EXECUTOR": "chainprobe-local",
            "PROVIDER_OVERRIDE_DYNAMODB": "chainprobe",
            "PROVIDER_OVERRIDE_EVENTS": "chainprobe",
            # AWS service metrics (API Gateway, SQS) and metric math in GetMetricData.
            "PROVIDER_OVERRIDE_APIGATEWAY": "chainprobe",
            "PROVIDER_OVERRIDE_SQS": "chainprobe",
            "PROVIDER_OVERRIDE_CLOUDWATCH": "chainprobe",
            # Logs Insights (StartQuery, GetQueryResults, StopQuery) over the local log groups.
            "PROVIDER_OVERRIDE_LOGS": "chainprobe",
            "LAMBDA_LIMITS_CONCURRENT_EXECUTIONS": str(lambda_concurrency),
            # AWS keeps 100 of 1000 unreserved; the same tenth leaves room for reserved concurrency.
            "LAMBDA_LIMITS_MINIMUM_UNRESERVED_CONCURRENCY": str(max(1, lambda_concurrency // 10)),
            # Metric alarms (metric math included) and composite rules, evaluated by the plugin.
            "CHAINPROBE_ALARM_EVALUATION_SECONDS": str(alarm_evaluation_seconds),
            "CHAINPROBE_LAMBDA_RUNTIMES": json.dumps(runtimes),
            "CHAINPROBE_LAMBDA_LOG_DIR": str(state_dir / "logs" / "lambda"),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            # This stack's marker: the Lambda executor hands it on to every function process.
            STACK_MARK: stack_mark(state_dir),
        }
    )
    return ServerProcess(
        name="localstack",
        command=[str(tools.localstack_python), "-m", "localstack.runtime.main"],
        env=env,
        port=port,
        ready_url=f"http://{LOOPBACK}:{port}/_localstack/health",
        state_dir=state_dir,
        ready_check=lambda r: r.status_code == 200,
    )


def wiremock_class_path(tools: Tools) -> list[str]:
    """WireMock's jar, with chainprobe's extension (the courier's rate limit) when it is built."""
    extension = extension_jar(tools)
    if not extension.exists():
        return ["-jar", str(tools.wiremock_jar)]
    return ["-cp", os.pathsep.join([str(tools.wiremock_jar), str(extension)]), "wiremock.Run"]


def wiremock_server(tools: Tools, java: str, *, port: int, root_dir: Path, state_dir: Path) -> ServerProcess:
    """The real WireMock standalone server (Java), bound to 127.0.0.1, serving ``root_dir``."""
    env = {k: os.environ[k] for k in HOST_ENV_KEYS if k in os.environ}
    env[STACK_MARK] = stack_mark(state_dir)
    return ServerProcess(
        name="wiremock",
        command=[
            java,
            "-Xmx512m",
            *wiremock_class_path(tools),
            "--bind-address",
            LOOPBACK,
            "--port",
            str(port),
            "--root-dir",
            str(root_dir),
            "--global-response-templating",
            "--disable-banner",
            "--max-request-journal-entries",
            "50000",
        ],
        env=env,
        port=port,
        ready_url=f"http://{LOOPBACK}:{port}/__admin/health",
        state_dir=state_dir,
        ready_check=lambda r: r.status_code == 200,
    )
