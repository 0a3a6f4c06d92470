"""The kit's record plumbing on records without ids (every vendor spec makes ids optional):
a join index leaves them out, de-duplication lets every one through, and the kit turns
each into a kept rejection."""

from __future__ import annotations

from datetime import datetime, timezone

from pms_pipelines.integrations.kit import PullRequest, Rejected
from pms_pipelines.integrations.kit.declared import Observation, by_id, to_event, unique
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
