"""The ``apigateway:chainprobe`` provider (``PROVIDER_OVERRIDE_APIGATEWAY=chainprobe``).

LocalStack's next-gen API Gateway provider, built exactly as its own factory builds it, except that
the execute-api endpoint gets a :class:`~.metrics.MeteredRestApiGateway` (the provider and the
endpoint take the gateway as a constructor argument: no patching).
"""

from localstack.services.plugins import Service, aws_provider


@aws_provider(api="apigateway", name="chainprobe")
def apigateway_chainprobe() -> Service:
    from localstack.services.apigateway.models import apigateway_stores
    from localstack.services.apigateway.next_gen.execute_api.router import (
        ApiGatewayEndpoint,
        ApiGatewayRouter,
    )
    from localstack.services.apigateway.next_gen.provider import ApigatewayNextGenProvider
    from localstack.services.edge import ROUTER
    from localstack.services.moto import MotoFallbackDispatcher

    from chainprobe_localstack.apigateway.metrics import MeteredRestApiGateway

    endpoint = ApiGatewayEndpoint(rest_gateway=MeteredRestApiGateway(), store=apigateway_stores)
    provider = ApigatewayNextGenProvider(router=ApiGatewayRouter(ROUTER, handler=endpoint))
    return Service.for_provider(provider, dispatch_table_factory=MotoFallbackDispatcher)
