"""Scenario 6: PMS faults. Every integration pulls its sandbox through 10% faulty
requests (429 with and without Retry-After, 500/502/503, read timeouts, truncated JSON)
and, for Reapit, an access token that expires mid-pull: each pull completes through
retries and publishes exactly what a clean pull returns. A pull that cannot complete
fails with a clear `PmsApiError`, leaves its watermark where it was, and the next run
completes. A lost answer to a PropertyMe token refresh (a one-use refresh token spent)
fails with `ReauthorisationRequired` naming the agency, which only a new authorisation
cures."""

from __future__ import annotations

import importlib
import json
import secrets
from collections import Counter
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import Event
from pms_pipelines.consumer.decode import decode_event
from pms_pipelines.db import watermarks
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit import PmsApiError, PullRequest, ReauthorisationRequired
from pms_pipelines.integrations.kit.auth import forget_tokens
from pms_pipelines.pulls.credentials import resolve_credentials, save_credentials
from pms_pipelines.pulls.pull_and_publish import pull_and_publish
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import read_everything
from pms_pipelines_tests.reliability.http_faults import KINDS, HttpFaults

pytestmark = pytest.mark.integration
ROUNDS = 3  # full pulls of every entity, so 10% of the requests is more than one or two


def _start(name: str, units: int = 30) -> tuple[Any, dict[str, str]]:
    integration = REGISTRY[name]
    credentials = {f: f"{f}-{secrets.token_hex(8)}" for f in integration.credential_fields}
    module = importlib.import_module(integration.sandbox_module)
    agency = {"agency_id": "faulty", **credentials, "units": units}
    return module.start_sandbox([agency], rate_limit_per_s=None), credentials


def _clean_pull(name: str, sandbox: Any, credentials: dict[str, str]) -> set[tuple]:
    integration = REGISTRY[name]
    keys = set()
    for entity in integration.entities:
        request = PullRequest(agency_id="faulty", entity=entity, base_url=sandbox.base_url,
                              credentials=dict(credentials), since=None,
                              observed_at=datetime.now(timezone.utc))
        keys |= {(i.entity, i.source_id, i.event_id) for i in integration.pull(request)
                 if isinstance(i, Event)}
    return keys


def _published(stream: str, source: str) -> list[tuple]:
    events = [decode_event(r.data) for r in read_everything(kinesis_client(), stream)]
    return [(e.entity, e.source_id, e.event_id) for e in events if e.source == source]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_pull_completes_through_faults(name: str, kinesis_stream: str, db_url: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, credentials = _start(name)
    try:
        clean = _clean_pull(name, sandbox, credentials)
        expired = []

        def expire_mid_pull(count: int) -> None:
            if name == "reapit" and count % 7 == 0:
                expired.append(sandbox.expire_tokens())

        faults = HttpFaults(0.10, seed=len(name), after_request=expire_mid_pull,
                            truncate_posts=name != "propertyme")
        faults.install(monkeypatch)
        with connect(db_url) as conn:
            for _round, entity in ((r, e) for r in range(ROUNDS)
                                   for e in REGISTRY[name].entities):
                pull_and_publish(REGISTRY[name], agency_id="faulty", entity=entity,
                                 credentials=dict(credentials), base_url=sandbox.base_url,
                                 conn=conn, kinesis=kinesis_client(), stream=kinesis_stream,
                                 full=True, save_credentials=credentials.update,
                                 republish=True)
        monkeypatch.undo()
        published = Counter(_published(kinesis_stream, name))
        # Each full pull publishes every record once (`republish`: unchanged ones too, so
        # a round that missed one shows): ROUNDS times in all.
        lost = sum(max(0, ROUNDS - published[key]) for key in clean)
        duplicated = sum(max(0, n - ROUNDS) for n in published.values()) + len(
            set(published) - clean)
        figures.record(f"6 PMS faults: {name}", events=len(clean) * ROUNDS,
                       faults=faults.total + len(expired), lost=lost, duplicated=duplicated,
                       dead_lettered=0,
                       note=f"{faults.requests} requests; "
                       + ", ".join(f"{k} {faults.injected[k]}" for k in KINDS if faults.injected[k])
                       + (f"; tokens expired mid-pull {len(expired)}x" if expired else ""))
        assert faults.total > 0
        if name == "reapit":
            assert expired
        assert lost == 0 and duplicated == 0
    finally:
        sandbox.stop()


def test_a_pull_that_cannot_complete_keeps_its_watermark(kinesis_stream: str, db_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    name = "buildium"
    integration = REGISTRY[name]
    entity = integration.entities[0]
    sandbox, credentials = _start(name, units=8)
    try:
        def pull() -> Any:
            with connect(db_url) as conn:
                return pull_and_publish(integration, agency_id="faulty", entity=entity,
                                        credentials=dict(credentials), base_url=sandbox.base_url,
                                        conn=conn, kinesis=kinesis_client(),
                                        stream=kinesis_stream, full=False)

        first = pull()
        with connect(db_url) as conn:
            before = watermarks.read_watermark(conn, name, "faulty", entity)
        assert before == first.watermark_after
        faults = HttpFaults(1.0, seed=3)
        faults.install(monkeypatch)
        with pytest.raises(PmsApiError) as raised:
            pull()
        monkeypatch.undo()
        message = str(raised.value)
        assert "failed with" in message and "attempt" in message
        for value in credentials.values():
            assert value not in message
        with connect(db_url) as conn:
            assert watermarks.read_watermark(conn, name, "faulty", entity) == before
        sandbox.touch("faulty", entity)
        again = pull()
        # The touched record is read again (re-saved unchanged, so not re-published).
        assert again.mode == "incremental" and again.pulled >= 1
        with connect(db_url) as conn:
            assert watermarks.read_watermark(conn, name, "faulty", entity) > before
        figures.record(f"6 PMS faults: {name} outage", events=first.published + again.published,
                       faults=faults.total, lost=0, duplicated=0, dead_lettered=0,
                       note="every request faulted: PmsApiError, watermark unchanged; "
                            "next run completed")
    finally:
        sandbox.stop()


def test_propertyme_refresh_answer_lost_asks_to_reauthorise(
        kinesis_stream: str, db_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """PropertyMe rotates the refresh token on every use and documents no reuse or grace
    period (the sandbox refuses a used one at once). When the answer to a refresh is lost
    after the rotation, no client can learn the new token: the agency must connect again.
    The pull says exactly that, naming the agency and no secret; its watermark stays; the
    other agency pulls on; once re-authorised, the next run completes."""
    integration = REGISTRY["propertyme"]
    entity = integration.entities[0]
    agencies = {a: {f: f"{f}-{secrets.token_hex(8)}" for f in integration.credential_fields}
                for a in ("faulty", "other")}
    refs = {}
    for agency_id, credentials in agencies.items():
        path = tmp_path / f"{agency_id}.json"
        path.write_text(json.dumps(credentials))
        refs[agency_id] = f"file:{path}"
    module = importlib.import_module(integration.sandbox_module)
    sandbox = module.start_sandbox([{"agency_id": a, **c, "units": 3} for a, c in agencies.items()],
                                   rate_limit_per_s=None)

    def pull(agency_id: str, *, full: bool = False) -> Any:
        forget_tokens()  # each pull is a run: a new process, no access token yet
        with connect(db_url) as conn:
            return pull_and_publish(
                integration, agency_id=agency_id, entity=entity, base_url=sandbox.base_url,
                credentials=resolve_credentials(refs[agency_id], integration.credential_fields),
                conn=conn, kinesis=kinesis_client(), stream=kinesis_stream, full=full,
                save_credentials=partial(save_credentials, refs[agency_id]))

    def watermark(agency_id: str) -> Any:
        with connect(db_url) as conn:
            return watermarks.read_watermark(conn, "propertyme", agency_id, entity)

    real_send = requests.Session.send
    cut: list[str] = []

    def send(session: requests.Session, prepared: requests.PreparedRequest, **kw: Any):
        response = real_send(session, prepared, **kw)
        if prepared.method == "POST" and "/connect/token" in (prepared.url or "") and not cut:
            cut.append(prepared.url or "")  # the server rotated; we never see the new token
            response._content = response.content[: len(response.content) // 2]
        return response

    try:
        first = pull("faulty")
        before = watermark("faulty")
        assert before == first.watermark_after
        monkeypatch.setattr(requests.Session, "send", send)
        failures = []
        for _run in range(2):  # the run that lost the answer, and the next one
            with pytest.raises(ReauthorisationRequired) as raised:
                pull("faulty")
            failures.append(str(raised.value))
            assert watermark("faulty") == before
        monkeypatch.undo()
        assert len(cut) == 1
        spent = {*agencies["faulty"].values(), sandbox.store("faulty").credentials["refresh_token"],
                 *json.loads(Path(refs["faulty"][5:]).read_text()).values()}
        for message in failures:
            assert message.startswith("propertyme agency 'faulty' must be re-authorised")
            assert "invalid_grant" in message and "Connect the agency again" in message
            assert not any(secret in message for secret in spent)
        other = pull("other", full=True)
        assert other.published > 0 and watermark("other") == other.watermark_after
        # The operator connects the agency again and stores the new refresh token.
        save_credentials(refs["faulty"], {"refresh_token": sandbox.authorise("faulty")})
        sandbox.touch("faulty", entity)
        again = pull("faulty")
        # The touched record is read again (re-saved unchanged, so not re-published).
        assert again.mode == "incremental" and again.pulled >= 1
        assert watermark("faulty") > before
        figures.record("6 PMS faults: propertyme token answer lost",
                       events=first.published + other.published + again.published, faults=1,
                       lost=0, duplicated=0, dead_lettered=0,
                       note="rotated refresh token's answer cut: ReauthorisationRequired "
                            "naming the agency (2 runs), watermark unchanged, other agency "
                            "pulled; after re-authorising the next run completed")
    finally:
        sandbox.stop()
