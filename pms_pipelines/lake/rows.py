"""One raw handled-event line becomes one lake row: the envelope in columns, the record
as masked JSON. A rejected record's original bytes never reach the lake (they may hold
anything); what of them reads as an event envelope is kept, masked like the rest."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pms_pipelines.lake.handled import readable_document
from pms_pipelines.lake.mask import mask_record

_KEY_CHARS = 200  # a rejected record's claimed key may be any length


def lake_row(line: dict[str, Any], mask_key: bytes) -> dict[str, Any] | None:
    """The row for one line, or None if the line is not a handled-event line."""
    try:
        consumed_at = datetime.fromisoformat(line["consumed_at"])
        row: dict[str, Any] = {
            "entity": str(line["entity"]),
            "outcome": str(line["outcome"]),
            "reason": line.get("reason"),
            "stream": str(line["stream"]),
            "shard_id": str(line["shard_id"]),
            "sequence_number": str(line["sequence_number"]),
            "replay_generation": int(line.get("replay_generation") or 0),
            "run_id": line.get("run_id"),
            "consumed_at": consumed_at,
            "raw_size": int(line.get("raw_size") or 0),
        }
    except (KeyError, TypeError, ValueError):
        return None
    if consumed_at.tzinfo is None:
        return None
    event = line.get("event")
    if isinstance(event, dict):
        row.update(_envelope(event, mask_key))
    else:
        row.update(_envelope(_rejected_document(line) or {}, mask_key))
    return row


def _envelope(document: dict[str, Any], mask_key: bytes) -> dict[str, Any]:
    data = document.get("data")
    version = document.get("version")
    return {
        "event_id": _text(document.get("event_id")),
        "op": _text(document.get("op")),
        "source": _text(document.get("source")),
        "agency_id": _text(document.get("agency_id")),
        "source_id": _text(document.get("source_id")),
        "version": version if isinstance(version, int) and not isinstance(version, bool)
        and -(2**63) <= version < 2**63 else None,
        "observed_at": _moment(document.get("observed_at")),
        "source_updated_at": _moment(document.get("source_updated_at")),
        "data": None if not isinstance(data, dict) else json.dumps(
            mask_record(mask_key, data), sort_keys=True, separators=(",", ":"),
            ensure_ascii=False,
        ),
    }


def _rejected_document(line: dict[str, Any]) -> dict[str, Any] | None:
    encoded = line.get("raw_base64")
    if not isinstance(encoded, str) or line.get("raw_truncated"):
        return None
    try:
        return readable_document(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        return None


def _text(value: Any) -> str | None:
    return value[:_KEY_CHARS] if isinstance(value, str) else None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
