"""The Glue columns Terraform declares are the code's own: the committed columns.json is
what `python -m pms_pipelines.lake.glue_columns` makes from the Parquet schema and the
handled-line shape, and the raw table's columns are the keys a real handled line has
(all but the ones that may hold personal data)."""

from __future__ import annotations

import json
from pathlib import Path

from pms_pipelines.lake.glue_columns import (
    COLUMNS_FILE,
    LEFT_OUT_OF_RAW,
    RAW_COLUMNS,
    RAW_EVENT_FIELDS,
    columns,
    render,
)
from pms_pipelines.lake.schema import LAKE_SCHEMA
from pms_pipelines_tests.lake.lake_env import DAY, line, loaded_tenancy, moment, rejected

ROOT = Path(__file__).resolve().parents[2]
JSON_TYPES = {"string": str, "bigint": int, "boolean": bool}


def test_the_committed_columns_are_the_generated_ones() -> None:
    committed = (ROOT / COLUMNS_FILE).read_text()
    assert committed == render(), (
        "terraform/modules/lake/columns.json is stale: run "
        "`.venv/bin/python -m pms_pipelines.lake.glue_columns`")
    lake_tf = (ROOT / "terraform" / "modules" / "lake" / "main.tf").read_text()
    assert 'jsondecode(file("${path.module}/columns.json"))' in lake_tf
    assert "for_each = local.columns.lake" in lake_tf
    assert "for_each = local.columns.raw" in lake_tf


def test_every_parquet_column_is_declared_in_order() -> None:
    assert [c["name"] for c in columns()["lake"]] == LAKE_SCHEMA.names
    assert len(LAKE_SCHEMA.names) == 19
    declared = {c["name"]: c["type"] for c in columns()["lake"]}
    assert declared["version"] == "bigint" and declared["consumed_at"] == "timestamp"
    assert {"reason", "shard_id", "sequence_number"} <= set(declared)


def test_the_raw_columns_are_a_handled_lines_keys_without_personal_data() -> None:
    at = moment(DAY, 9)
    loaded = json.loads(line(loaded_tenancy(1), at))
    refused = json.loads(line(rejected(2, b"\xff not json"), at))
    declared = dict(RAW_COLUMNS)
    for document in (loaded, refused):
        assert set(document) == set(declared) | LEFT_OUT_OF_RAW
        for name, kind in declared.items():
            if kind in JSON_TYPES and document[name] is not None:
                assert isinstance(document[name], JSON_TYPES[kind]), (name, document[name])
    event_fields = dict(RAW_EVENT_FIELDS)
    assert set(loaded["event"]) - set(event_fields) == {"data"}  # the record: not declared
    for name, kind in event_fields.items():
        value = loaded["event"][name]
        assert value is None or isinstance(value, JSON_TYPES[kind]), (name, value)
    assert refused["event"] is None and "raw_base64" in refused
