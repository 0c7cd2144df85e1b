"""SQS for the local stack: LocalStack's provider, with its AWS/SQS metrics batched and completed."""
