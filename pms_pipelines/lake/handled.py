"""The lake's raw record: one newline-terminated JSON line per event the consumer handled.

A line says what the consumer did (`outcome`, and `reason` when rejected), where the event
came from (stream, shard, sequence number), which run handled it and when, and the
shard's replay generation (how many times its checkpoint had been moved back). A loaded or
stale event carries the canonical event; a rejected one carries its original bytes in
base64, cut short if the line would pass Firehose's record limit.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

from pms_pipelines.canonical.model import ENTITIES
from pms_pipelines.db.batch_result import BatchResult, Outcome
from pms_pipelines.stream.firehose import MAX_BYTES_PER_RECORD

LINE_SCHEMA = "pms.handled/v1"
UNKNOWN_ENTITY = "unknown"
# Room for the rest of a rejected line (reason up to 500 chars, ids, JSON punctuation).
_LINE_OVERHEAD = 4096
MAX_RAW_BYTES = (MAX_BYTES_PER_RECORD - _LINE_OVERHEAD) // 4 * 3  # base64 grows by 4/3


def handled_lines(
    result: BatchResult, *, stream: str, run_id: str | None, consumed_at: datetime
) -> list[bytes]:
    """One line per outcome of the batch, in shard order."""
    return [
        handled_line(outcome, stream=stream, run_id=run_id, consumed_at=consumed_at,
                     replay_generation=result.replay_generation)
        for outcome in result.outcomes
    ]


def handled_line(
    outcome: Outcome, *, stream: str, run_id: str | None, consumed_at: datetime,
    replay_generation: int = 0,
) -> bytes:
    record = outcome.record
    line: dict[str, Any] = {
        "lake": LINE_SCHEMA,
        "stream": stream,
        "shard_id": record.shard_id,
        "sequence_number": record.sequence_number,
        "replay_generation": replay_generation,
        "run_id": run_id,
        "consumed_at": consumed_at.isoformat(),
        "outcome": outcome.outcome,
        "reason": outcome.reason,
        "entity": line_entity(outcome),
        "event": None,
        "raw_base64": None,
        "raw_size": len(record.data),
        "raw_truncated": False,
    }
    if outcome.event is not None:
        line["event"] = outcome.event.model_dump(mode="json", by_alias=True)
        encoded = _encode(line)
        if len(encoded) <= MAX_BYTES_PER_RECORD:
            return encoded
        # Only a pathological record gets here (a 1 MiB event); its envelope still says
        # what happened, and the full event is in Postgres and the stream.
        line["event"] = {**line["event"], "data": None}
        line["raw_truncated"] = True
        return _encode(line)
    raw = record.data[:MAX_RAW_BYTES]
    line["raw_base64"] = base64.b64encode(raw).decode()
    line["raw_truncated"] = len(raw) < len(record.data)
    return _encode(line)


def line_entity(outcome: Outcome) -> str:
    """The entity of the event, or what a rejected record's bytes claim, or 'unknown'."""
    if outcome.event is not None:
        return outcome.event.entity
    document = readable_document(outcome.record.data)
    entity = document.get("entity") if document else None
    return entity if entity in ENTITIES else UNKNOWN_ENTITY


def readable_document(raw: bytes) -> dict[str, Any] | None:
    """The JSON object in `raw`, if it is one (a rejected record may be anything)."""
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def consumed_day(consumed_at: datetime) -> date:
    """The UTC day a handling belongs to: the lake's partition and the counts' key."""
    return consumed_at.date()


def _encode(line: dict[str, Any]) -> bytes:
    return json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
