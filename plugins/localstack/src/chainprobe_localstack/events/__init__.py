"""EventBridge for the local stack: LocalStack's own provider, plus PutEvents entry faults."""
