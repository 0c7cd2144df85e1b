"""CloudWatch Logs for the local stack: LocalStack's own provider, plus Logs Insights queries."""
