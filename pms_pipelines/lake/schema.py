"""The schema of the lake's Parquet, one table per entity.

The Glue tables declare every column, in this order (terraform/modules/lake/columns.json,
made from this schema by `python -m pms_pipelines.lake.glue_columns`). `data` is the canonical record
as JSON with personal data masked: one schema serves the four entities and survives
new optional fields in the canonical model.
"""

from __future__ import annotations

import pyarrow as pa

from pms_pipelines.canonical.model import RECORD_TYPES

_TIME = pa.timestamp("us", tz="UTC")

LAKE_SCHEMA = pa.schema([
    pa.field("event_id", pa.string()),  # null for a rejected record with no readable id
    pa.field("op", pa.string()),
    pa.field("entity", pa.string(), nullable=False),
    pa.field("source", pa.string()),
    pa.field("agency_id", pa.string()),
    pa.field("source_id", pa.string()),
    pa.field("version", pa.int64()),
    pa.field("observed_at", _TIME),
    pa.field("source_updated_at", _TIME),
    pa.field("outcome", pa.string(), nullable=False),
    pa.field("data", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("stream", pa.string(), nullable=False),
    pa.field("shard_id", pa.string(), nullable=False),
    pa.field("sequence_number", pa.string(), nullable=False),
    pa.field("run_id", pa.string()),
    pa.field("consumed_at", _TIME, nullable=False),
    pa.field("raw_size", pa.int64(), nullable=False),
    pa.field("replay_generation", pa.int64(), nullable=False),
])
COLUMNS: tuple[str, ...] = tuple(LAKE_SCHEMA.names)


def record_fields(entity: str) -> frozenset[str]:
    """The top-level fields a canonical record of `entity` may hold in `data`."""
    return frozenset(RECORD_TYPES[entity].model_fields)
