"""The ``dynamodb:chainprobe`` provider (``PROVIDER_OVERRIDE_DYNAMODB=chainprobe``).

LocalStack's own DynamoDB provider forwards to DynamoDB Local, which it downloads (with a Java 21)
on first use. This one answers every operation with moto's DynamoDB backend instead. Streams are
not wired (the reference chain does not use them).
"""

from localstack.aws.api.dynamodb import DynamodbApi
from localstack.services.plugins import Service, aws_provider


class MotoDynamoDBProvider(DynamodbApi):
    """Empty on purpose: every operation falls through to moto."""

    service = "dynamodb"


@aws_provider(api="dynamodb", name="chainprobe")
def dynamodb_chainprobe() -> Service:
    from localstack.services.moto import MotoFallbackDispatcher

    return Service.for_provider(MotoDynamoDBProvider(), dispatch_table_factory=MotoFallbackDispatcher)
