"""The fixture agency's full pull equals the hand-checked golden records."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from pms_pipelines.canonical import ENTITIES, Event
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit import PullRequest, Rejected
from pms_pipelines_tests.fixtures.sandbox import BUILDIUM_GOLDEN, SandboxAgency

EXPECTED_REJECTIONS = {"property": {"205": "rental property 999"},
                       "tenancy": {"504": "end_date is before start_date"}}


@pytest.mark.parametrize("entity", ENTITIES)
def test_fixture_full_pull_equals_golden(buildium_sandbox: SandboxAgency, entity: str) -> None:
    integration = REGISTRY["buildium"]
    observed_at = datetime.now(timezone.utc)
    items = list(integration.pull(PullRequest(
        agency_id=buildium_sandbox.agency_id, entity=entity, base_url=buildium_sandbox.base_url,
        credentials=buildium_sandbox.credentials, since=None, observed_at=observed_at)))
    events = [i for i in items if isinstance(i, Event)]
    rejected = [i for i in items if isinstance(i, Rejected)]
    golden = json.loads(BUILDIUM_GOLDEN.read_text())[entity]
    assert {e.source_id: e.data.model_dump(mode="json") for e in events} == golden
    assert all(e.entity == entity and e.source == "buildium" and e.op == "upsert"
               and e.agency_id == "fixture-agency" for e in events)
    expected = EXPECTED_REJECTIONS.get(entity, {})
    assert {r.source_id for r in rejected} == set(expected)
    for r in rejected:
        assert expected[r.source_id] in r.reason and json.loads(r.raw)["Id"] == int(r.source_id)


def test_tenancy_events_carry_buildium_last_updated(buildium_sandbox: SandboxAgency) -> None:
    items = REGISTRY["buildium"].pull(PullRequest(
        agency_id="fixture-agency", entity="tenancy", base_url=buildium_sandbox.base_url,
        credentials=buildium_sandbox.credentials, since=None,
        observed_at=datetime.now(timezone.utc)))
    stamps = {i.source_id: i.source_updated_at for i in items if isinstance(i, Event)}
    assert stamps["501"] == datetime(2024, 6, 1, 10, tzinfo=timezone.utc)
