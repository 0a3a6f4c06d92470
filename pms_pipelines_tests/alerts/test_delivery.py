"""Delivery: retried with backoff where a retry can help, never where it cannot, every
destination tried, and no error text that holds the webhook URL."""

from __future__ import annotations

import json
import socket

import pytest

from pms_pipelines.alerts.delivery import AlertDeliveryError, Destinations, deliver
from pms_pipelines.alerts.message import run_failure_alert
from pms_pipelines_tests.alerts.conftest import WEBHOOK_SECRET_PATH

pytestmark = pytest.mark.integration

ALERT = run_failure_alert(
    job="consume_shard", run_id="run-1", partition=None, agency=None, steps=["consume_stream"],
    error_class="ValueError", error_message="bad record", ui_base_url="",
)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_5xx_is_retried_with_the_project_backoff(webhook) -> None:
    webhook.statuses = [503, 429]
    sleeps = Sleeps()
    assert deliver(ALERT, Destinations(webhook_url=webhook.url), sleep=sleeps,
                   rng=lambda: 1.0) == ["webhook"]
    assert len(webhook.bodies) == 3
    assert sleeps == [0.5, 1.0]  # full jitter at its upper bound: base * 2**attempt


def test_4xx_is_not_retried_and_the_url_stays_secret(webhook) -> None:
    webhook.statuses = [404]
    with pytest.raises(AlertDeliveryError) as raised:
        deliver(ALERT, Destinations(webhook_url=webhook.url), sleep=Sleeps())
    assert str(raised.value) == "alert run_failure for run run-1: webhook failed: HTTP 404"
    assert len(webhook.bodies) == 1


def test_no_listener_is_retried_then_reported_without_the_url() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}{WEBHOOK_SECRET_PATH}"
    sleeps = Sleeps()
    with pytest.raises(AlertDeliveryError) as raised:
        deliver(ALERT, Destinations(webhook_url=url), sleep=sleeps)
    assert "webhook failed after 3 attempts: no response" in str(raised.value)
    assert WEBHOOK_SECRET_PATH not in str(raised.value) and str(port) not in str(raised.value)
    # No chained urllib error (whose attributes hold the URL) rides along.
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert len(sleeps) == 2


def test_a_malformed_webhook_url_is_not_echoed() -> None:
    with pytest.raises(AlertDeliveryError, match="not an http") as raised:
        deliver(ALERT, Destinations(webhook_url="hooks.example.com/T0SECRET"))
    assert "T0SECRET" not in str(raised.value)


def test_every_destination_is_tried_when_one_fails(webhook, sns_topic) -> None:
    webhook.statuses = [500, 500, 500]
    with pytest.raises(AlertDeliveryError) as raised:
        deliver(ALERT, Destinations(webhook_url=webhook.url, sns_topic_arn=sns_topic.arn),
                sleep=Sleeps())
    assert str(raised.value).endswith("(delivered to sns)")
    [published] = sns_topic.published()
    assert json.loads(published["Message"])["run_id"] == "run-1"
    assert published["MessageAttributes"]["kind"]["Value"] == "run_failure"


def test_a_missing_topic_is_not_retried(sns_topic) -> None:
    missing = sns_topic.arn + "-missing"
    sleeps = Sleeps()
    with pytest.raises(AlertDeliveryError, match=r"sns failed: SNS \w+"):
        deliver(ALERT, Destinations(sns_topic_arn=missing), sleep=sleeps)
    assert sleeps == []
