"""LocalStack runtime hook of the Lambda plugins (registered by entry point).

- ``chainprobe_concurrent_sqs_event_sources`` (``on_infra_start``): SQS event source mappings poll
  and invoke concurrently, up to ``ScalingConfig.MaximumConcurrency`` (``sqs_event_source.py``),
  installed before the Lambda provider starts (or restores) any mapping.
"""

from localstack.runtime import hooks


@hooks.on_infra_start()
def chainprobe_concurrent_sqs_event_sources() -> None:
    from chainprobe_localstack.lambda_.sqs_event_source import install

    install()
