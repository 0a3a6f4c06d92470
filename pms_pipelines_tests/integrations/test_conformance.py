"""The conformance suite: every registered integration passes it with no test code of its
own. Its sandbox stands in for the provider; the vendor's published spec judges both
sides of every exchange; its fixture and golden file fix the mapping."""

from __future__ import annotations

import importlib
import json
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from pms_pipelines.canonical import Event
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit import Integration, PmsApiError, PullRequest, Rejected
from pms_pipelines.integrations.kit.cursor import ChangeCursor
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines_tests.integrations.id_less_wire import IdLessWire
from pms_pipelines_tests.integrations.spec_check import Exchange, load_spec, problems

pytestmark = pytest.mark.integration

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.01)
NAMES = sorted(REGISTRY)


def _credentials(integration: Integration) -> dict[str, str]:
    return {f: f"{f}-{secrets.token_hex(8)}" for f in integration.credential_fields}


class Provider:
    """A running sandbox of one integration and what a pull of its agency needs."""

    def __init__(self, integration: Integration, agency: dict[str, Any], seed: int = 7) -> None:
        self.integration = integration
        self.credentials = {f: agency[f] for f in integration.credential_fields}
        self.agency_id = agency["agency_id"]
        module = importlib.import_module(integration.sandbox_module)
        self.sandbox = module.start_sandbox([agency], rate_limit_per_s=None, seed=seed)
        self.cursors: dict[str, str] = {}  # kept between pulls, as the platform keeps them

    def pull(self, entity: str, since: datetime | None = None, **changes: Any) -> list:
        """Every item of one pull; every record it read is accounted for (kit/ledger.py)."""
        request = PullRequest(
            agency_id=self.agency_id, entity=entity, base_url=self.sandbox.base_url,
            credentials=changes.pop("credentials", self.credentials), since=since,
            observed_at=datetime.now(timezone.utc), policy=FAST,
            save_credentials=self.credentials.update,
            cursor=ChangeCursor(stored=self.cursors.get(entity)), **changes,
        )
        items = list(self.integration.pull(request))
        if request.cursor.found is not None:
            self.cursors[entity] = request.cursor.found
        ledger = request.ledger
        assert ledger.unaccounted(entity, len(items)) == 0, (
            f"{ledger.read[entity]} {entity} records read, {len(items)} pulled, "
            f"skipped {dict(ledger.skipped)}")
        return items


@pytest.fixture(scope="module", params=NAMES)
def fixture_provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    integration = REGISTRY[request.param]
    if integration.fixtures is None:
        pytest.fail(f"{integration.name} declares no fixtures folder")
    agency = {"agency_id": "conformance", **_credentials(integration),
              "fixture": str(integration.fixtures / "agency_fixture.json")}
    provider = Provider(integration, agency)
    yield provider
    provider.sandbox.stop()


@pytest.fixture(params=NAMES)
def generated_provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    integration = REGISTRY[request.param]
    provider = Provider(integration, {"agency_id": "generated", **_credentials(integration),
                                      "units": 12})
    yield provider
    provider.sandbox.stop()


def _ids(items: list) -> set[str]:
    return {i.source_id for i in items if isinstance(i, Event) and i.op == "upsert"}


def test_declares_what_the_suite_needs(fixture_provider: Provider) -> None:
    integration = fixture_provider.integration
    assert integration.spec_file, "declare spec_file: the vendor spec judges the sandbox"
    assert integration.deletes in ("signalled", "snapshot")
    assert set(integration.entities) <= {"property", "landlord", "tenant", "tenancy"}


def test_full_read_matches_the_golden_records(fixture_provider: Provider) -> None:
    golden = json.loads((fixture_provider.integration.fixtures / "golden.json").read_text())
    for entity in fixture_provider.integration.entities:
        items = fixture_provider.pull(entity)
        events = {i.source_id: i for i in items if isinstance(i, Event)}
        rejected = {i.source_id for i in items if isinstance(i, Rejected)}
        assert all(e.entity == entity and e.op == "upsert" for e in events.values())
        assert {k: e.data.model_dump(mode="json") for k, e in events.items()} == golden[entity]
        assert rejected == set(golden.get("_rejected", {}).get(entity, [])), entity
        for item in items:
            if isinstance(item, Rejected):
                assert item.reason and item.raw


def test_every_exchange_conforms_to_the_vendor_spec(
    fixture_provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = load_spec(fixture_provider.integration.spec_file)
    if spec is None:
        pytest.skip(f"{fixture_provider.integration.spec_file} not found: set PMS_SPECS_DIR")
    exchanges: list[Exchange] = []
    send = requests.Session.send

    def recording_send(session: requests.Session, prepared: requests.PreparedRequest, **kw: Any):
        response = send(session, prepared, **kw)
        exchanges.append(Exchange(prepared.method, prepared.url, dict(prepared.headers),
                                  response.status_code, dict(response.headers), response.content))
        return response

    monkeypatch.setattr(requests.Session, "send", recording_send)
    for entity in fixture_provider.integration.entities:
        fixture_provider.pull(entity)
        fixture_provider.pull(entity, since=datetime(2020, 1, 1, tzinfo=timezone.utc))
    checked = [x for x in exchanges if x.method == "GET"]
    assert checked, "no GET request was recorded"
    found = [p for x in checked for p in problems(spec, x)]
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("since", [None, datetime(2020, 1, 1, tzinfo=timezone.utc)],
                         ids=["full", "incremental"])
def test_records_without_ids_are_rejected_never_a_crash_or_lost(
    fixture_provider: Provider, monkeypatch: pytest.MonkeyPatch, since: datetime | None
) -> None:
    """Every id in the vendors' specs is optional. With the ids (own and foreign keys) taken
    off the first record of every page, a pull completes, and each record that lost its
    id is a kept rejection saying so: none vanishes (an incremental pull's de-duplication
    once kept only the first id-less record), none crashes a join with a KeyError."""
    entities = fixture_provider.integration.entities
    clean = {entity: fixture_provider.pull(entity, since=since) for entity in entities}
    wire = IdLessWire().install(monkeypatch)
    for entity in entities:
        items = fixture_provider.pull(entity, since=since)
        lost = {i.source_id for i in clean[entity]} - {i.source_id for i in items}
        id_less = [i for i in items if isinstance(i, Rejected) and i.source_id is None]
        assert all(r.reason == "record has no id" and r.raw for r in id_less), entity
        assert len(id_less) >= len(lost), (entity, lost)
    assert wire.stripped, "no record was served without its id"


def test_incremental_read_returns_only_the_changed_record(generated_provider: Provider) -> None:
    for entity in generated_provider.integration.entities:
        generated_provider.pull(entity)  # a full pull comes first, as on the platform
        since = datetime.now(timezone.utc) - timedelta(seconds=1)
        changed = generated_provider.sandbox.touch(generated_provider.agency_id, entity)
        assert _ids(generated_provider.pull(entity, since=since)) == {changed}, entity


def test_churn_changes_what_an_incremental_pull_then_reads(generated_provider: Provider) -> None:
    """The local stack's churn (make dev): every step changes, adds and removes records,
    and an incremental pull from just before it finds changes."""
    entities = generated_provider.integration.entities
    for entity in entities:
        generated_provider.pull(entity)
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    counts = generated_provider.sandbox.churn_once()[generated_provider.agency_id]
    assert counts["changed"] and counts["added"], counts
    assert any(generated_provider.pull(entity, since=since) for entity in entities)


def test_a_future_watermark_returns_nothing(generated_provider: Provider) -> None:
    future = datetime.now(timezone.utc) + timedelta(days=2)
    for entity in generated_provider.integration.entities:
        generated_provider.pull(entity)  # a vendor's change marker is where the full pull left it
        assert generated_provider.pull(entity, since=future) == [], entity


@pytest.mark.parametrize("fault, status", [("p429", 429), ("p5xx", None)])
def test_faults_are_retried_then_fail_clearly(
    generated_provider: Provider, fault: str, status: int | None
) -> None:
    entity = generated_provider.integration.entities[0]
    clean = _ids(generated_provider.pull(entity))
    try:
        generated_provider.sandbox.set_faults({fault: 0.3})
        assert _ids(generated_provider.pull(entity)) == clean  # retried through
        generated_provider.sandbox.set_faults({fault: 1.0})
        with pytest.raises(PmsApiError) as raised:
            generated_provider.pull(entity)
        assert raised.value.attempts == FAST.max_attempts
        assert raised.value.status == status if status else raised.value.status >= 500
        assert raised.value.vendor_message
    finally:
        generated_provider.sandbox.set_faults({fault: 0.0})


def test_deletes_follow_the_declared_signal(generated_provider: Provider) -> None:
    integration = generated_provider.integration
    for entity in integration.entities:
        since = datetime.now(timezone.utc) - timedelta(seconds=1)
        gone = generated_provider.sandbox.remove(generated_provider.agency_id, entity)
        if integration.deletes == "signalled":
            items = generated_provider.pull(entity, since=since)
            deletes = {i.source_id for i in items if isinstance(i, Event) and i.op == "delete"}
            assert gone in deletes, entity
        assert gone not in _ids(generated_provider.pull(entity)), entity


def test_bad_credentials_fail_without_the_secret(generated_provider: Provider) -> None:
    wrong = {f: f"wrong-{secrets.token_hex(8)}" for f in generated_provider.credentials}
    entity = generated_provider.integration.entities[0]
    with pytest.raises(PmsApiError) as raised:
        generated_provider.pull(entity, credentials=wrong)
    assert raised.value.status in (400, 401, 403)
    for value in wrong.values():
        assert value not in str(raised.value)


@pytest.mark.off_spec("variants leave out and null what the spec may require")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_served_variants_never_crash_a_pull_or_vanish(name: str, seed: int) -> None:
    """Records served varied (kit/sandbox_variants.py: fields left out, nulls, extreme
    numbers, unicode, emptied lists; no vendor spec needed): every pull, full and
    incremental, ends with events and kept rejections, and every record it read is
    accounted for (`Provider.pull` checks the ledger)."""
    integration = REGISTRY[name]
    provider = Provider(integration, {"agency_id": "varied", **_credentials(integration),
                                      "units": 15, "variants": 0.6}, seed=seed)
    try:
        rejected = 0
        for entity in integration.entities:
            for since in (None, datetime(2020, 1, 1, tzinfo=timezone.utc)):
                items = provider.pull(entity, since=since)
                assert all(i.entity == entity for i in items)
                assert all(i.reason and i.raw for i in items if isinstance(i, Rejected))
                rejected += sum(isinstance(i, Rejected) for i in items)
        assert rejected, "no varied record was rejected: were variants served?"
    finally:
        provider.sandbox.stop()
