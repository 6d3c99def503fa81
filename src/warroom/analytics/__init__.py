"""Customer impact from request logs: one set of Ibis expressions, run on DuckDB or PySpark."""
