"""API Gateway for the local stack: LocalStack's next-gen REST API Gateway, plus AWS/ApiGateway metrics."""
