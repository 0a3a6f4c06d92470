"""The one way to make an AWS client (Kinesis, Firehose, S3, Secrets Manager).

The endpoint is not in code: boto3 reads `AWS_ENDPOINT_URL` (set by the local stack to
moto or kinesalite) and talks to real AWS when it is unset. botocore's own retries are
kept small because the publisher and reader retry with their own, visible policy.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=16,
)


def aws_client(service: str, region: str | None = None, config: Config | None = None) -> Any:
    """`config` overrides parts of the default (e.g. a caller that must answer quickly)."""
    merged = _CONFIG.merge(config) if config is not None else _CONFIG
    return boto3.session.Session().client(service, region_name=region, config=merged)


def kinesis_client(region: str | None = None) -> Any:
    return aws_client("kinesis", region)
