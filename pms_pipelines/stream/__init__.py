"""The Kinesis stream: publishing and reading events as bytes and partition keys."""
