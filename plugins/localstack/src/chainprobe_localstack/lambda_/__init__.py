"""Lambda functions as local processes: the executor (LocalStack side) and the bootstrap (function side)."""
