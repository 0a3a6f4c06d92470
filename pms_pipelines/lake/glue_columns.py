"""The Athena (Glue) columns of the lake's tables and of the raw table, made from the
code's own schemas so the catalog cannot drift from what is written:

- `lake`: every column of `LAKE_SCHEMA` (the compacted Parquet), in order;
- `raw`: the handled-event lines Firehose lands under raw/ (`handled.py`), today's
  events before the nightly compaction. Only the envelope: the event's `data` and a
  rejected record's bytes may hold personal data, which the lake masks and raw does not,
  so they are not declared (Athena cannot select an undeclared JSON field).

`python -m pms_pipelines.lake.glue_columns` rewrites terraform/modules/lake/columns.json,
which Terraform reads; pms_pipelines_tests/lake/test_glue_columns.py fails while the file
and the schemas differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa

from pms_pipelines.lake.schema import LAKE_SCHEMA

COLUMNS_FILE = Path("terraform/modules/lake/columns.json")

# The handled line's envelope (handled.py), as JSON-SerDe types; times stay ISO strings.
RAW_EVENT_FIELDS = (("schema", "string"), ("event_id", "string"), ("op", "string"),
                    ("entity", "string"), ("source", "string"), ("agency_id", "string"),
                    ("source_id", "string"), ("version", "bigint"),
                    ("observed_at", "string"), ("source_updated_at", "string"))
RAW_COLUMNS = (("lake", "string"), ("stream", "string"), ("shard_id", "string"),
               ("sequence_number", "string"), ("replay_generation", "bigint"),
               ("run_id", "string"), ("consumed_at", "string"), ("outcome", "string"),
               ("reason", "string"), ("entity", "string"),
               ("event", "struct<" + ",".join(f"{n}:{t}" for n, t in RAW_EVENT_FIELDS) + ">"),
               ("raw_size", "bigint"), ("raw_truncated", "boolean"))
LEFT_OUT_OF_RAW = frozenset({"raw_base64"})  # a rejected record's bytes


def hive_type(arrow: pa.DataType) -> str:
    if pa.types.is_string(arrow):
        return "string"
    if pa.types.is_int64(arrow):
        return "bigint"
    if pa.types.is_timestamp(arrow):
        return "timestamp"
    raise ValueError(f"no Glue type for {arrow}: add it to hive_type")


def columns() -> dict[str, list[dict[str, str]]]:
    return {
        "lake": [{"name": f.name, "type": hive_type(f.type)} for f in LAKE_SCHEMA],
        "raw": [{"name": name, "type": kind} for name, kind in RAW_COLUMNS],
    }


def render() -> str:
    return json.dumps(columns(), indent=2) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else COLUMNS_FILE
    target.write_text(render())
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
