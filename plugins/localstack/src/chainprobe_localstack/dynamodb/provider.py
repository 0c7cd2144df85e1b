"""The ``dynamodb:chainprobe`` provider (``PROVIDER_OVERRIDE_DYNAMODB=chainprobe``).

LocalStack's own DynamoDB provider forwards to DynamoDB Local, which it downloads (with a Java 21)
on first use. This one answers every operation with moto's DynamoDB backend instead. Streams are
not wired (the reference chain does not use them).
"""

from localstack.aws.api import RequestContext, handler
from localstack.aws.api.dynamodb import (
    DynamodbApi,
    ProvisionedThroughputExceededException,
    PutItemInput,
    PutItemOutput,
)
from localstack.services.plugins import Service, aws_provider

from chainprobe_localstack.faults.managed import THROTTLE_MESSAGE, put_item_throttle


class MotoDynamoDBProvider(DynamodbApi):
    """Every operation falls through to moto; PutItem first checks the ``dynamodb-throttle`` fault."""

    service = "dynamodb"

    @handler("PutItem", expand=False)
    def put_item(self, context: RequestContext, put_item_input: PutItemInput) -> PutItemOutput:
        # Fault injection (chainprobe_localstack.faults): throttled as AWS throttles, logged once.
        if put_item_throttle(put_item_input) is not None:
            raise ProvisionedThroughputExceededException(THROTTLE_MESSAGE)
        from localstack.services.moto import call_moto

        return call_moto(context)


@aws_provider(api="dynamodb", name="chainprobe")
def dynamodb_chainprobe() -> Service:
    from localstack.services.moto import MotoFallbackDispatcher

    from chainprobe_localstack.dynamodb.metrics import metered_dispatch_table

    def dispatch_table(provider: MotoDynamoDBProvider) -> dict:
        # AWS/DynamoDB metrics around every operation, whoever answers it (moto, the provider, a fault).
        return metered_dispatch_table(MotoFallbackDispatcher(provider))

    return Service.for_provider(MotoDynamoDBProvider(), dispatch_table_factory=dispatch_table)
