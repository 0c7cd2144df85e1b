"""Reader for ``logs``: the chain's own structured logs, the milestone view (optional section).

Example (YAML)::

    logs:
      log_groups:
        - "/aws/lambda/${orders_function:-OrdersHandler}"
        - "/aws/lambda/${delivery_function:-DeliveryHandler}"
      correlation_field: correlation_id     # holds the order id
      milestone_field: status
      first_milestone: {name: START, log_group: "/aws/lambda/${orders_function:-OrdersHandler}"}
      milestones: [SAVED_IN_DATABASE, PUBLISHED]   # optional: the path between first and last, in order
      last_milestone: {name: COMPLETED, log_group: "/aws/lambda/${delivery_function:-DeliveryHandler}"}
      failure_milestone: FAILED
      exception_fields: [reason]

A milestone is a name, or a mapping of ``name`` and ``log_group`` (then only that group's lines count:
both reference functions log ``COMPLETED``). A milestone's ``log_group`` must be one of ``log_groups``,
written the same way. ``milestones`` (optional) are the ones a good request passes between the first
and the last, in order: with them a bad order's drill-down names the first one it never reached (such
as ``PUBLISHED``), without them only the first or the last. Field names and milestone names are
restricted to characters that need no quoting in a Logs Insights query.
"""

from __future__ import annotations

from chainprobe.spec.model import LogsSpec, Milestone
from chainprobe.spec.reader import Fields, Node
from chainprobe.spec.values import read_template

__all__ = ["read_logs"]

_FIELD = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
_FIELD_EXPECTED = "a log field name such as correlation_id or detail.orderId"
_MILESTONE = r"[A-Za-z0-9_.:\-]{1,64}"
_MILESTONE_EXPECTED = "a milestone name of letters, digits, '_', '.', ':' or '-'"


def read_logs(node: Node) -> LogsSpec:
    """``logs``: log_groups, correlation_field, milestone_field, first_milestone, last_milestone,
    milestones, failure_milestone, exception_fields."""
    fields = Fields(
        node,
        required=("log_groups", "correlation_field", "milestone_field", "first_milestone", "last_milestone"),
        optional=("milestones", "failure_milestone", "exception_fields"),
    )
    groups = tuple(
        read_template(item, expected="a log group name or template such as /aws/lambda/${function}")
        for item in fields.get("log_groups").items(expected="a list of log group names")
    )
    failure = fields.optional("failure_milestone")
    exceptions = fields.optional("exception_fields")
    path = fields.optional("milestones")
    return LogsSpec(
        log_groups=groups,
        correlation_field=_field(fields.get("correlation_field")),
        milestone_field=_field(fields.get("milestone_field")),
        first_milestone=_milestone(fields.get("first_milestone"), groups),
        last_milestone=_milestone(fields.get("last_milestone"), groups),
        milestones=tuple(
            _milestone(item, groups)
            for item in path.items(expected="a list of milestones, each a name or {name, log_group}")
        )
        if path
        else (),
        failure_milestone=failure.text(pattern=_MILESTONE, expected=_MILESTONE_EXPECTED) if failure else None,
        exception_fields=tuple(
            _field(item) for item in exceptions.items(expected="a list of log field names")
        )
        if exceptions
        else (),
    )


def _field(node: Node) -> str:
    return node.text(pattern=_FIELD, expected=_FIELD_EXPECTED)


def _milestone(node: Node, groups: tuple[str, ...]) -> Milestone:
    if isinstance(node.value, str):
        return Milestone(name=node.text(pattern=_MILESTONE, expected=_MILESTONE_EXPECTED))
    fields = Fields(node, required=("name",), optional=("log_group",))
    group_node = fields.optional("log_group")
    group = read_template(group_node, expected="one of logs.log_groups") if group_node else None
    if group_node is not None and group not in groups:
        group_node.invalid(f"one of logs.log_groups ({', '.join(groups)})")
    return Milestone(
        name=fields.get("name").text(pattern=_MILESTONE, expected=_MILESTONE_EXPECTED), log_group=group
    )
