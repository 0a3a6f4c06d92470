"""The lake: what the consumer did with every event, delivered through Firehose to S3,
compacted daily into masked Parquet per entity, and queried with Athena or DuckDB."""
