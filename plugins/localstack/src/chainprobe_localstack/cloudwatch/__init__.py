"""CloudWatch for the local stack: LocalStack's v2 provider, with metric math and percentiles."""
