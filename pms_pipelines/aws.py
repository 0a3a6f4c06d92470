"""The one way to make an AWS client (Kinesis, Firehose, S3, Secrets Manager).

The endpoint is not in code: boto3 reads `AWS_ENDPOINT_URL` (set by the local stack to
moto or kinesalite) and talks to real AWS when it is unset. botocore's own retries are
kept small because the publisher and reader retry with their own, visible policy.

Timestamps sent as epoch seconds (every record's `ApproximateArrivalTimestamp` in a
GetRecords answer) become UTC datetimes directly: botocore's default parser tries the
local timezone through dateutil first, a third of the consumer's reading CPU. The same
instant either way; text timestamps keep botocore's parser.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.utils import parse_timestamp

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=16,
)


def aws_client(service: str, region: str | None = None, config: Config | None = None) -> Any:
    """`config` overrides parts of the default (e.g. a caller that must answer quickly)."""
    merged = _CONFIG.merge(config) if config is not None else _CONFIG
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=_parse_timestamp)
    return boto3.session.Session(botocore_session=core).client(
        service, region_name=region, config=merged)


def _parse_timestamp(value: Any) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    return parse_timestamp(value)


def kinesis_client(region: str | None = None) -> Any:
    return aws_client("kinesis", region)
