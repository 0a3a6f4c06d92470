"""The receiver, over real HTTP, with real Postgres: what it stores and answers for each
kind of delivery the vendors send (and attackers might)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
import requests

from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit.sandbox_webhooks import Change, SigningKey
from pms_pipelines.db.connection import connect
from pms_pipelines.webhooks.receiver import DATABASE_THREADS, Receiver
from pms_pipelines.webhooks.serve import start_receiver
from pms_pipelines_tests.fixtures.webhooks import BUILDIUM_ACCOUNT, WebhookStack

# The example of Buildium's "Signature Checks" section, as its step 1 shows it.
BUILDIUM_DOC_BODY = b"""{
  "EventName": "Rental.Created",
  "EventDateTime": "2022-12-22T16:18:20.876772Z",
  "AccountId": 123456,
  "PropertyId": 78910
}"""
BUILDIUM_DOC_SIGNED = (b'{"EventName":"Rental.Created","EventDateTime":"2022-12-22T16:18:20.876772Z",'
                       b'"AccountId":123456,"PropertyId":78910}')


def _buildium_headers(secret: str, timestamp: int, signed: bytes) -> dict[str, str]:
    """The documented C# `ClientSideValidate`, run the other way: HMACSHA256 keyed by the
    UTF-8 secret over `$"{timestamp}.{message}"`, then `Convert.ToBase64String`."""
    payload = f"{timestamp}.".encode() + signed
    digest = hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()
    return {"buildium-webhook-timestamp": str(timestamp),
            "buildium-webhook-signature": base64.b64encode(digest).decode(),
            "Content-Type": "application/json"}


def _post(stack: WebhookStack, pms: str, body: bytes, headers: dict[str, str]
          ) -> requests.Response:
    return requests.post(stack.receiver.url(pms), data=body, headers=headers, timeout=10)


def _change(stack: WebhookStack, event: str = "RentalUnit.Updated", record_id: int = 5
            ) -> Change:
    return Change(BUILDIUM_ACCOUNT, stack.credentials["buildium"]["webhook_secret"], event,
                  record_id, None, datetime.now(timezone.utc))


def test_buildium_documented_example_is_stored_once(webhook_stack: WebhookStack) -> None:
    secret = webhook_stack.credentials["buildium"]["webhook_secret"]
    now = int(time.time())
    # Sent pretty-printed as the guide shows it, signed over the form step 1 gives.
    answer = _post(webhook_stack, "buildium", BUILDIUM_DOC_BODY,
                   _buildium_headers(secret, now, BUILDIUM_DOC_SIGNED))
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "stored"
    [(pms, agency, event, targets, served)] = webhook_stack.notices()
    assert (pms, agency, event, served) == ("buildium", "acme", "Rental.Created", None)
    assert targets == [{"entity": "property", "kind": "rental", "ids": ["78910"],
                        "op": "upsert"}]
    # Buildium retries with a new timestamp (and so a new signature): not stored again.
    retry = _post(webhook_stack, "buildium", BUILDIUM_DOC_SIGNED,
                  _buildium_headers(secret, now + 60, BUILDIUM_DOC_SIGNED))
    assert (retry.status_code, retry.json()["outcome"]) == (200, "duplicate")
    assert len(webhook_stack.notices()) == 1


def test_reapit_signed_notice_of_a_change_is_stored(webhook_stack: WebhookStack) -> None:
    reapit = webhook_stack.sandboxes["reapit"]
    record_id = reapit.touch("harbour", "tenancy")
    deadline = time.monotonic() + 10
    while reapit.webhooks.counts["sent"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    [(pms, agency, event, targets, _)] = webhook_stack.notices()
    assert (pms, agency, event) == ("reapit", "harbour", "tenancies.modified")
    assert targets == [{"entity": "tenancy", "kind": "id", "ids": [record_id], "op": "upsert"}]


def test_reapit_signature_by_another_key_is_refused(webhook_stack: WebhookStack) -> None:
    reapit = webhook_stack.sandboxes["reapit"].webhooks
    change = Change("RPT", "", "properties.modified", "MAN1", None, datetime.now(timezone.utc))
    forged = reapit.delivery(change, key=SigningKey(reapit.key.key_id, SigningKey.new().private))
    assert reapit.send(forged).status_code == 401
    unknown = reapit.delivery(change, key=SigningKey.new())  # a key id Reapit never issued
    counts = webhook_stack.sandboxes["reapit"].state.counts
    asked = sum(counts.values())
    assert reapit.send(unknown).status_code == 401
    assert sum(counts.values()) > asked  # Reapit was asked for that key: it has none
    asked = sum(counts.values())
    assert reapit.send(reapit.delivery(change, key=SigningKey.new())).status_code == 401
    assert reapit.send(unknown).status_code == 401  # the same unknown id: not asked again
    not_uuid = reapit.delivery(change, key=SigningKey("../../tenancies", SigningKey.new().private))
    assert reapit.send(not_uuid).status_code == 401  # never asked for: not a key id
    assert sum(counts.values()) - asked == 1  # the second unknown key only
    assert webhook_stack.notices() == []
    assert webhook_stack.refusals() == {("reapit", "bad signature"): 5}


@pytest.mark.parametrize("tamper", ["body", "signature", "secret", "no header"])
def test_bad_buildium_signature_is_refused_and_nothing_stored(
        webhook_stack: WebhookStack, tamper: str) -> None:
    secret = webhook_stack.credentials["buildium"]["webhook_secret"]
    now = int(time.time())
    headers = _buildium_headers("not-the-secret" if tamper == "secret" else secret, now,
                                BUILDIUM_DOC_SIGNED)
    body = BUILDIUM_DOC_SIGNED
    if tamper == "body":
        body = body.replace(b"78910", b"78911")
    elif tamper == "signature":
        headers["buildium-webhook-signature"] = headers["buildium-webhook-signature"].lower()
    elif tamper == "no header":
        del headers["buildium-webhook-signature"]
    answer = _post(webhook_stack, "buildium", body, headers)
    assert answer.status_code == 401, answer.text
    assert "acme" not in answer.text  # which agency it is, the sender is not told
    assert webhook_stack.notices() == []
    assert webhook_stack.refusals() == {("buildium", "bad signature"): 1}


@pytest.mark.parametrize("seconds", [-3600, 301, 3600])
def test_stale_or_future_timestamp_is_refused(webhook_stack: WebhookStack,
                                              seconds: int) -> None:
    buildium = webhook_stack.sandboxes["buildium"].webhooks
    delivery = buildium.delivery(_change(webhook_stack), timestamp=int(time.time()) - seconds)
    answer = buildium.send(delivery)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "the timestamp is outside the accepted window"
    assert webhook_stack.notices() == []


def test_replayed_delivery_is_refused_duplicate_is_acknowledged(
        webhook_stack: WebhookStack) -> None:
    buildium = webhook_stack.sandboxes["buildium"].webhooks
    change = _change(webhook_stack)
    first = buildium.delivery(change, timestamp=int(time.time()) - 5)
    assert buildium.send(first).json()["outcome"] == "stored"
    assert buildium.send(first).status_code == 409  # the same bytes and signature again
    again = buildium.delivery(change)  # the vendor's retry: signed anew
    answer = buildium.send(again)
    assert (answer.status_code, answer.json()["outcome"]) == (200, "duplicate")
    assert len(webhook_stack.notices()) == 1
    assert webhook_stack.refusals() == {("buildium", "replayed"): 1}


def test_oversized_unreadable_unused_and_unknown_store_nothing(
        webhook_stack: WebhookStack) -> None:
    buildium = webhook_stack.sandboxes["buildium"].webhooks
    max_body = webhook_stack.receiver.receiver.max_body
    huge = _post(webhook_stack, "buildium", b"{" + b" " * max_body + b"}",
                 {"Content-Type": "application/json"})
    assert huge.status_code == 413
    deep = b"[" * 100_000 + b"]" * 100_000  # within the size bound, beyond the parser
    for garbage in (b"", b"\xff\xfe", b"[1, 2]", b'{"EventName": "Rental.Created"}', deep):
        assert _post(webhook_stack, "buildium", garbage, {}).status_code == 400
    unused = buildium.send(buildium.delivery(_change(webhook_stack, "Vendor.Created")))
    assert (unused.status_code, unused.json()["outcome"]) == (202, "unused")
    stranger = Change("999", "whatever", "Lease.Updated", 1, None, datetime.now(timezone.utc))
    unknown = buildium.send(buildium.delivery(stranger))
    assert (unknown.status_code, unknown.json()["outcome"]) == (202, "unknown account")
    assert requests.post(webhook_stack.receiver.base_url + "/webhooks/propertyme",
                         data=b"{}", timeout=5).status_code == 404  # it has no webhooks
    assert webhook_stack.notices() == []
    assert webhook_stack.refusals() == {
        ("buildium", "too large"): 1, ("buildium", "unreadable"): 5,
        ("buildium", "unused"): 1, ("buildium", "unknown account"): 1}


def test_burst_of_1000_notices_each_stored_once(webhook_stack: WebhookStack) -> None:
    buildium = webhook_stack.sandboxes["buildium"].webhooks
    changes = [_change(webhook_stack, "Lease.Updated", i) for i in range(1, 1001)]
    deliveries = [buildium.delivery(c) for c in changes]
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda d: buildium.send(d).status_code, deliveries))
        # Every one again, as a vendor's retries would: nothing new is stored.
        again = list(pool.map(lambda c: buildium.send(buildium.delivery(c)).status_code,
                              changes))
    assert statuses == [200] * 1000
    assert set(again) <= {200, 409}  # a retry in the same second signs the same bytes
    notices = webhook_stack.notices()
    assert len(notices) == 1000
    assert sorted(int(t[0]["ids"][0]) for *_, t, _ in notices) == list(range(1, 1001))
    with connect(webhook_stack.db_url) as conn:  # sixteen at a time, eight connections
        opened = conn.execute("SELECT count(*) FROM pg_stat_activity "
                              "WHERE application_name = 'pms-webhooks'").fetchone()[0]
    assert 0 < opened <= DATABASE_THREADS


def test_receiver_killed_after_storing_loses_and_doubles_nothing(
        webhook_stack: WebhookStack, tmp_path) -> None:  # noqa: ANN001
    """A receiver process that dies right after storing a notice, before answering: the
    vendor sees no answer and retries; the receiver that takes its place finds the
    notice kept (the vendor's key) and does not store it again."""
    port = _free_port()
    log = open(tmp_path / "dying.log", "wb")  # noqa: SIM115 - closed below
    dying = subprocess.Popen(
        [sys.executable, "-m", "pms_pipelines_tests.webhooks.dying_receiver", str(port),
         webhook_stack.db_url], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, dying)
        buildium = webhook_stack.sandboxes["buildium"]
        buildium.webhooks.subscribe(f"http://127.0.0.1:{port}/webhooks/buildium")
        buildium.touch("acme", "tenancy")  # sent by the sandbox, retried after 1 s
        assert dying.wait(timeout=15) == 137  # it stored, then died before answering
        assert len(webhook_stack.notices()) == 1
        again = start_receiver(REGISTRY, webhook_stack.db_url, port=port)
        try:
            deadline = time.monotonic() + 15
            while buildium.webhooks.counts["sent"] < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            again.stop()
        assert buildium.webhooks.counts["retried"] == 1
        assert buildium.webhooks.counts["sent"] == 1
        assert len(webhook_stack.notices()) == 1
    finally:
        dying.kill()
        log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the receiver process exited before listening"
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the receiver process did not listen")


def test_database_unreachable_is_answered_503_for_the_vendor_to_retry() -> None:
    receiver = Receiver(REGISTRY, "postgresql://pms@127.0.0.1:1/pms?connect_timeout=2")
    answer = receiver.receive("buildium", {}, BUILDIUM_DOC_SIGNED)
    assert (answer.status, answer.outcome) == (503, "unavailable")
