"""LocalStack plugins for chainprobe's `local` stack (LocalStack on the host, no Docker).

Each service has one provider module, registered by entry point in this package's pyproject:

- ``lambda_``: functions run as local processes (``LAMBDA_RUNTIME_EXECUTOR=chainprobe-local``).
- ``dynamodb``: DynamoDB served by moto, nothing downloaded (``PROVIDER_OVERRIDE_DYNAMODB=chainprobe``).
- ``faults``: the fault registry and its ground-truth log on the gateway (``/_chainprobe/faults``,
  an ``on_infra_start`` hook); the DynamoDB and EventBridge providers fire their faults from it.
- ``metrics``: AWS service metrics published to LocalStack's CloudWatch as AWS publishes them, fed by
  ``apigateway`` (``PROVIDER_OVERRIDE_APIGATEWAY=chainprobe``), ``lambda_`` (the executor and a hook),
  ``events``, ``dynamodb`` and ``sqs`` (``PROVIDER_OVERRIDE_SQS=chainprobe``).
- ``cloudwatch``: GetMetricData evaluates metric math with chainprobe's evaluator, vendored into
  ``_vendor`` at install (``PROVIDER_OVERRIDE_CLOUDWATCH=chainprobe``).
- ``logs``: Logs Insights (StartQuery, GetQueryResults, StopQuery) over the local log groups with
  chainprobe's evaluator, vendored like metric math (``PROVIDER_OVERRIDE_LOGS=chainprobe``).

This package is installed into LocalStack's own virtualenv, never into the harness's.
"""
