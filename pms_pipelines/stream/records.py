"""What the stream carries, as the stream sees it: bytes under a partition key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StreamRecord:
    """One record read from a shard."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrived_at: datetime | None = None


@dataclass(frozen=True)
class OutgoingRecord:
    """One record to publish."""

    partition_key: str
    data: bytes


def sequence_order(sequence_number: str) -> int:
    """Kinesis sequence numbers are decimal strings of up to 128 digits: compare as ints."""
    return int(sequence_number)
