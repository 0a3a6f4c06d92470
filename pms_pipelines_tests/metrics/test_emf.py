"""EMF lines as CloudWatch reads them: the catalogue's units and dimension sets, every
dimension's value present, and a value CloudWatch would reject never written."""

from __future__ import annotations

import json
import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pms_pipelines.metrics import names
from pms_pipelines.metrics.emf import document, emit, parse


def test_a_line_carries_each_metric_under_its_declared_dimension_sets(capsys) -> None:
    emit({names.RECORDS_PULLED: 5, names.PULL_SECONDS: 1.5},
         {names.PMS: "buildium", names.ENTITY: "tenant"}, {"agency_id": "a-1"})
    [line] = capsys.readouterr().out.splitlines()
    [doc] = parse([line])
    [directive] = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == names.NAMESPACE == "PmsPipelines"
    assert directive["Dimensions"] == [["PMS"], ["PMS", "Entity"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "RecordsPulled": "Count", "PullSeconds": "Seconds"}
    assert (doc["PMS"], doc["Entity"], doc["agency_id"]) == ("buildium", "tenant", "a-1")
    assert (doc["RecordsPulled"], doc["PullSeconds"]) == (5.0, 1.5)
    assert abs(doc["_aws"]["Timestamp"] / 1000 - time.time()) < 60


def test_metrics_with_different_dimension_sets_get_a_directive_each() -> None:
    doc = document({names.BATCH_SECONDS: 0.2, names.EVENTS_STALE: 3}, {names.PMS: "reapit"})
    assert sorted((d["Dimensions"], [m["Name"] for m in d["Metrics"]])
                  for d in doc["_aws"]["CloudWatchMetrics"]) == [
        ([[]], ["BatchSeconds"]), ([[], ["PMS"]], ["EventsStale"])]
    assert parse([json.dumps(doc)]) == [doc]


def test_a_missing_dimension_is_an_error_not_a_silent_metric() -> None:
    with pytest.raises(ValueError, match="Entity"):
        document({names.RECORDS_PULLED: 1}, {names.PMS: "buildium"})


def test_a_line_that_cannot_be_written_does_not_fail_the_work(monkeypatch, caplog) -> None:
    class Closed:
        def write(self, text: str) -> int:
            raise ValueError("I/O operation on closed file")

    monkeypatch.setattr("sys.stdout", Closed())
    emit({names.RUNS_FAILED: 1}, {names.JOB: "j"})
    emit({names.RECORDS_PULLED: 1}, {names.PMS: "b"})  # a dimension missing: logged too
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "metric line not written", "metric line not written"]


def test_nothing_is_written_for_no_values(capsys) -> None:
    emit({}, {})
    assert capsys.readouterr().out == ""


@given(st.floats(allow_nan=True, allow_infinity=True), st.text(min_size=1, max_size=40))
def test_any_value_and_dimension_text_make_a_line_cloudwatch_accepts(value, pms) -> None:
    doc = document({names.EVENTS_DEAD_LETTERED: value}, {names.PMS: pms})
    [reread] = parse([json.dumps(doc)])
    if math.isfinite(value):
        assert reread["EventsDeadLettered"] == value and reread["PMS"] == pms
    else:  # CloudWatch drops a whole line with NaN or Infinity in it
        assert "EventsDeadLettered" not in reread
        assert reread["_aws"]["CloudWatchMetrics"] == []


def test_parse_refuses_what_the_catalogue_does_not_say() -> None:
    doc = document({names.RECORDS_PULLED: 1}, {names.PMS: "b", names.ENTITY: "tenant"})
    doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Seconds"
    with pytest.raises(ValueError, match="not a catalogued metric"):
        parse([json.dumps(doc)])
    assert parse(["plain log line", "{\"not\": \"emf\"}"]) == []


def test_every_catalogued_metric_has_a_known_unit_and_small_dimension_sets() -> None:
    units = {"Count", "Seconds", "Milliseconds"}
    for metric in names.ALL:
        assert metric.unit in units, metric
        assert all(len(s) <= 2 for s in metric.dimension_sets), metric
        assert names.BY_NAME[metric.name] is metric
    assert len(names.BY_NAME) == len(names.ALL)
