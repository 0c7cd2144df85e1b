"""The verifier's IAM role (deploy/aws/verifier-role.yaml) passes cfn-lint (which knows every IAM action
name) and allows every AWS call the harness makes while it verifies, measures and reports: the calls are
found in the source, so a new call without its permission fails here, not in somebody's account."""

import ast
import fnmatch
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name
from cfnlint.api import lint
from cfnlint.decode.cfn_yaml import loads

ROOT = Path(__file__).parents[3]
TEMPLATE = ROOT / "deploy" / "aws" / "verifier-role.yaml"
PACKAGE = ROOT / "src" / "chainprobe"
# Where the run-time AWS calls live: the verifiers, the measures (metric math, logs), the publishing
# reports and the composition modules. drive/ sends HTTP only; stacks/ deploys (an operator's rights).
SCANNED = ("verify", "measure", "report", "target.py", "pipeline.py", "run_*.py", "load_pipeline.py")
SERVICES = ("dynamodb", "events", "sqs", "cloudwatch", "logs")  # the IAM prefix is the service name
# A batch API is authorised by its single action (SQS's documented rule).
BATCH_ACTIONS = {
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
NOT_AWS = {"query"}  # the Logs Insights parser's own query(), not DynamoDB's


def operations() -> dict[str, list[str]]:
    session = botocore.session.get_session()
    found: dict[str, list[str]] = {}
    for service in SERVICES:
        for name in session.get_service_model(service).operation_names:
            action = f"{service}:{name}"
            found.setdefault(xform_name(name), []).append(BATCH_ACTIONS.get(action, action))
    return found


def scanned_files() -> Iterator[Path]:
    for pattern in SCANNED:
        for path in sorted(PACKAGE.glob(pattern)):
            yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def is_socket(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "socket"  # socket.create_connection is not EventBridge's


def called_operations() -> dict[str, set[str]]:
    """Method calls and paginator names in the scanned modules that are operations of the services."""
    known, found = operations(), dict[str, set[str]]()
    for path in scanned_files():
        for node in ast.walk(ast.parse(path.read_text())):
            name = None
            if isinstance(node, ast.Attribute) and not is_socket(node.value):
                name = node.attr
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value
            if name in known and name not in NOT_AWS:
                found.setdefault(name, set()).add(str(path.relative_to(PACKAGE)))
    return found


def allowed_actions(template: dict[str, Any]) -> list[str]:
    role = template["Resources"]["VerifierRole"]["Properties"]
    actions: list[str] = []
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                statement = statement["Fn::If"][1]  # the fullest role: cleanup on
            assert statement["Effect"] == "Allow"
            given = statement["Action"]
            actions += [given] if isinstance(given, str) else given
    return actions


def test_the_template_passes_cfn_lint_with_no_warning() -> None:
    assert lint(TEMPLATE.read_text()) == []


def test_cfn_lint_would_refuse_an_unknown_action() -> None:
    """The check above can fail: cfn-lint knows IAM's action names."""
    broken = TEMPLATE.read_text().replace("events:PutRule\n", "events:PutRulez\n")
    assert [match.rule.id for match in lint(broken)] == ["W3037"]


def test_the_scan_finds_the_verifiers_calls() -> None:
    called = called_operations()
    for name in ("batch_get_item", "put_rule", "receive_message", "get_metric_data", "start_query"):
        assert name in called, f"{name} not found: the scan is broken"


def test_every_aws_call_of_the_harness_is_allowed_by_the_role() -> None:
    allowed, known = allowed_actions(loads(TEMPLATE.read_text())), operations()

    def permitted(name: str) -> bool:
        return any(fnmatch.fnmatchcase(action, pattern) for action in known[name] for pattern in allowed)

    missing = {name: sorted(where) for name, where in called_operations().items() if not permitted(name)}
    assert missing == {}


def test_the_role_allows_nothing_the_harness_does_not_call() -> None:
    called = {a for name in called_operations() for a in operations()[name]}
    # Listed without a call of their own: GetItem beside BatchGetItem (the same read); DeleteItem beside
    # BatchWriteItem (the same cleanup); TagQueue/TagResource are needed by CreateQueue/PutRule with tags.
    implied = {"dynamodb:GetItem", "dynamodb:DeleteItem", "sqs:TagQueue", "events:TagResource"}
    extra = set(allowed_actions(loads(TEMPLATE.read_text()))) - called - implied
    assert extra == set()
