"""The probe spec: a YAML file describing a request chain generically, loaded into one typed model.

Example::

    from chainprobe.spec import ProbeTag, build_order_request, endpoint_variables, load_spec

    spec = load_spec("probes/orders.yaml")           # raises SpecError (one line) when invalid
    endpoints = endpoint_variables(status_json)        # + CHAINPROBE_* environment variables
    request = build_order_request(spec.send, endpoints, ProbeTag(run_id="r-1", seq=0, order_id="o-1"))

Nothing about a particular chain lives in the harness: the reference chain is ``probes/orders.yaml``.
"""

from chainprobe.spec.checks import EqualsCheck, ExistsCheck, JsonCheck, MatchesCheck, failed_checks
from chainprobe.spec.duration import format_duration, parse_duration
from chainprobe.spec.exceptions import (
    InvalidValueError,
    MissingFieldError,
    SpecError,
    SpecFileError,
    SpecSyntaxError,
    TemplateError,
    TemplateSyntaxError,
    UnknownFieldError,
    UnknownVariableError,
    WrongTypeError,
)
from chainprobe.spec.loader import load_spec, parse_spec
from chainprobe.spec.model import (
    ApiSpec,
    AvailabilityObjective,
    CleanupMode,
    CloudWatchPublishSpec,
    CourierSpec,
    Deadlines,
    DeliveryObjective,
    DynamoDbSpec,
    EventSpec,
    LatencyObjective,
    MetricMathSpec,
    ProbeSpec,
    SendSpec,
    SettleWindows,
    SloSpec,
)
from chainprobe.spec.paths import MISSING, FieldPath
from chainprobe.spec.request import OrderRequest, ProbeTag, build_order_request
from chainprobe.spec.template import Scalar, Variables, render, render_value, template_variables
from chainprobe.spec.variables import ENDPOINT_NAMES, ORDER_NAMES, endpoint_variables, order_variables

__all__ = [
    "ENDPOINT_NAMES",
    "MISSING",
    "ORDER_NAMES",
    "ApiSpec",
    "AvailabilityObjective",
    "CleanupMode",
    "CloudWatchPublishSpec",
    "CourierSpec",
    "Deadlines",
    "DeliveryObjective",
    "DynamoDbSpec",
    "EqualsCheck",
    "EventSpec",
    "ExistsCheck",
    "FieldPath",
    "InvalidValueError",
    "JsonCheck",
    "LatencyObjective",
    "MatchesCheck",
    "MetricMathSpec",
    "MissingFieldError",
    "OrderRequest",
    "ProbeSpec",
    "ProbeTag",
    "Scalar",
    "SendSpec",
    "SettleWindows",
    "SloSpec",
    "SpecError",
    "SpecFileError",
    "SpecSyntaxError",
    "TemplateError",
    "TemplateSyntaxError",
    "UnknownFieldError",
    "UnknownVariableError",
    "Variables",
    "WrongTypeError",
    "build_order_request",
    "endpoint_variables",
    "failed_checks",
    "format_duration",
    "load_spec",
    "order_variables",
    "parse_duration",
    "parse_spec",
    "render",
    "render_value",
    "template_variables",
]
