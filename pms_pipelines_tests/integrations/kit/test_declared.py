"""The kit's record plumbing on records without ids (every vendor spec makes ids optional):
a join index leaves them out, de-duplication lets every one through, and the kit turns
each into a kept rejection."""

from __future__ import annotations

from datetime import datetime, timezone

from pms_pipelines.integrations.kit import PullRequest, Rejected
from pms_pipelines.integrations.kit.declared import (
    Observation, by_id, joined, positive_int, refs, to_event, unique,
)
from pms_pipelines.integrations.kit.rest import NOT_AN_OBJECT
from pms_pipelines.integrations.kit.ledger import READ_TWICE, PullLedger


def test_unique_lets_every_id_less_record_through() -> None:
    first = [{"Id": 1}, {"Name": "a"}, {"Id": None, "Name": "b"}]
    second = [{"Id": 1, "Name": "again"}, {"Id": "", "Name": "c"}, {"Id": 2}]
    assert list(unique(iter(first), iter(second))) == [
        {"Id": 1}, {"Name": "a"}, {"Id": None, "Name": "b"}, {"Id": "", "Name": "c"}, {"Id": 2}]


def test_unique_counts_each_repeat_it_leaves_out_as_skipped() -> None:
    ledger = PullLedger()
    ledger.count_read(["tenant"], 4)
    kept = list(unique(iter([{"Id": 1}, {"Id": 1}, {"Name": "x"}]), iter([{"Id": 1}]),
                       ledger=ledger))
    assert kept == [{"Id": 1}, {"Name": "x"}]
    assert ledger.skipped == {READ_TWICE: 2}
    assert ledger.unaccounted("tenant", produced=len(kept)) == 0


def test_by_id_indexes_only_records_with_an_id() -> None:
    records = [{"id": "A"}, {"name": "x"}, {"id": None}, {"id": "B", "v": 1}, {"id": "B", "v": 2}]
    assert by_id(records, "id") == {"A": {"id": "A"}, "B": {"id": "B", "v": 2}}


def test_an_id_less_observation_is_a_kept_rejection() -> None:
    req = PullRequest(agency_id="a", entity="landlord", base_url="http://127.0.0.1:1",
                      credentials={}, since=None, observed_at=datetime.now(timezone.utc))
    out = to_event("buildium", req, Observation({"Name": "x"}, None, lambda: None))
    assert isinstance(out, Rejected)
    assert (out.source_id, out.reason, out.raw) == (None, "record has no id", b'{"Name": "x"}')


def test_a_record_that_is_not_an_object_is_a_kept_rejection() -> None:
    req = PullRequest(agency_id="a", entity="tenant", base_url="http://127.0.0.1:1",
                      credentials={}, since=None, observed_at=datetime.now(timezone.utc))
    out = to_event("buildium", req, Observation({NOT_AN_OBJECT: 7}, None, lambda: None,
                                                belongs=lambda: False))
    assert isinstance(out, Rejected) and out.reason == "record is not a JSON object"
    assert b"7" in out.raw


def test_a_record_that_breaks_its_belongs_test_is_rejected_not_a_crash() -> None:
    req = PullRequest(agency_id="a", entity="tenant", base_url="http://127.0.0.1:1",
                      credentials={}, since=None, observed_at=datetime.now(timezone.utc))
    roles = Observation({"id": "C1", "roles": [None]}, "C1", lambda: None,
                        belongs=lambda: any(r.get("type") == "tenant" for r in [None]))
    out = to_event("reapit", req, roles)
    assert isinstance(out, Rejected) and "AttributeError" in out.reason
    not_ours = Observation({"id": "C2"}, "C2", lambda: None, belongs=lambda: False)
    assert to_event("reapit", req, not_ours) is None


def test_malformed_references_name_nothing() -> None:
    index = by_id([{"Id": 1}, {"Id": [2]}, {"Id": {"x": 3}}, {"Id": True}, {"Id": "4"}])
    assert set(index) == {1, "4"}
    assert joined(index, 1) == {"Id": 1} and joined(index, [1]) is None
    assert joined(index, {"Id": 1}) is None
    assert refs([1, "2", None, [3], {"id": 4}, False]) == [1, "2"] and refs(5) == [5]
    assert refs({"id": 1}) == [] and refs(None) == []
    int32 = positive_int(2**31)
    assert [int32(v) for v in (1, 0, -1, 2**31, 1.0, "1", True)] == [
        True, False, False, False, False, False, False]
