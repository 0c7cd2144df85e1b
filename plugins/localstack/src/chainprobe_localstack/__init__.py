"""LocalStack plugins for chainprobe's `local` stack (LocalStack on the host, no Docker).

Each service has one provider module, registered by entry point in this package's pyproject:

- ``lambda_``: functions run as local processes (``LAMBDA_RUNTIME_EXECUTOR=chainprobe-local``).
- ``dynamodb``: DynamoDB served by moto, nothing downloaded (``PROVIDER_OVERRIDE_DYNAMODB=chainprobe``).

This package is installed into LocalStack's own virtualenv, never into the harness's.
"""
