"""Masking rules, and the lake's checks failing when they should."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq

from pms_pipelines.lake.checks import (
    completeness_problems,
    day_problems,
    schema_problems,
    unmasked_problems,
)
from pms_pipelines.lake.compact import parquet_bytes
from pms_pipelines.lake.mask import is_masked, mask_record, mask_value
from pms_pipelines.lake.rows import lake_row
from pms_pipelines_tests.lake.lake_env import DAY, KEY, line, loaded_tenant, moment


def _table(*outcomes) -> pa.Table:
    rows = [lake_row(json.loads(line(o, moment(DAY, 9))), KEY) for o in outcomes]
    return pq.read_table(io.BytesIO(parquet_bytes(rows)))


def test_masking_is_keyed_deterministic_and_reaches_nested_fields() -> None:
    record = {"first_name": "Ada", "contact": {"email": "a@x.io", "phone": None},
              "date_of_birth": "1990-01-02", "kind": "person"}
    masked = mask_record(KEY, record)
    assert masked["kind"] == "person" and masked["contact"]["phone"] is None
    assert masked["first_name"] == mask_value(KEY, "Ada") and is_masked(masked["first_name"])
    assert is_masked(masked["contact"]["email"]) and is_masked(masked["date_of_birth"])
    assert mask_value(KEY, "Ada") != mask_value(b"another-key-1234", "Ada")
    assert mask_value(KEY, "Ada") != mask_value(KEY, "ada")


def test_a_day_holding_what_the_consumer_counted_passes_every_check() -> None:
    table = _table(loaded_tenant(1), loaded_tenant(2, outcome="stale"))
    handled = {("tenant", "loaded"): 1, ("tenant", "stale"): 1, ("tenancy", "loaded"): 0}
    results = day_problems({"tenant": table, "tenancy": None}, handled)
    assert results == {"tenant": {"complete": [], "schema_matches": [], "masked": []},
                       "tenancy": {"complete": [], "schema_matches": [], "masked": []}}


def test_a_missing_event_fails_completeness() -> None:
    table = _table(loaded_tenant(1))
    assert completeness_problems("tenant", table, {("tenant", "loaded"): 2}) == [
        "loaded: the consumer handled 2, the lake holds 1"]
    assert completeness_problems("tenancy", None, {("tenancy", "stale"): 3}) == [
        "day not compacted, the consumer handled 3 tenancy events"]


def test_an_unmasked_email_fails_the_masking_check() -> None:
    table = _table(loaded_tenant(1))
    data = json.loads(table.column("data")[0].as_py())
    data["contact"]["email"] = "ada@example.com"
    leaked = table.set_column(table.schema.get_field_index("data"), "data",
                              pa.array([json.dumps(data)], pa.string()))
    assert unmasked_problems(leaked) == ["row 0: data.contact.email is not masked"]
    data["contact"]["email"] = mask_value(KEY, "x")
    data["last_name"] = "call ada@example.com"  # an email outside its field, unmasked name
    stray = leaked.set_column(leaked.schema.get_field_index("data"), "data",
                              pa.array([json.dumps(data)], pa.string()))
    assert unmasked_problems(stray) == ["row 0: data.last_name is not masked"]
    data["last_name"] = None
    data["note"] = "call ada@example.com"
    note = leaked.set_column(leaked.schema.get_field_index("data"), "data",
                             pa.array([json.dumps(data)], pa.string()))
    assert unmasked_problems(note) == ["row 0: data.note holds an email address"]


def test_schema_drift_fails_the_schema_check() -> None:
    table = _table(loaded_tenant(1))
    assert schema_problems("tenant", table) == []
    drifted = table.drop_columns(["reason"]).set_column(
        table.schema.get_field_index("version"), "version",
        pa.array(["1"], pa.string()))
    drifted = drifted.append_column("surprise", pa.array([1]))
    assert schema_problems("tenant", drifted) == [
        "column version is string, expected int64", "column reason is missing",
        "unexpected column surprise"]
    assert schema_problems("tenancy", table) == ["rows of entity 'tenant' in the tenancy table"]
    data = json.loads(table.column("data")[0].as_py())
    data["favourite_colour"] = "blue"  # a field the canonical tenant does not have
    odd = table.set_column(table.schema.get_field_index("data"), "data",
                           pa.array([json.dumps(data)], pa.string()))
    assert schema_problems("tenant", odd) == [
        "data field 'favourite_colour' is not a canonical tenant field (1 rows)"]
