"""Delivering an alert: to a Slack-compatible webhook and/or an SNS topic, each tried a
few times with the project's backoff. A delivery that still fails raises
`AlertDeliveryError`, whose text never holds the webhook URL (it is a secret)."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pms_pipelines.alerts.message import Alert, slack_payload, sns_message, sns_subject
from pms_pipelines.aws import aws_client
from pms_pipelines.backoff import full_jitter

WEBHOOK_ENV = "PMS_ALERT_WEBHOOK_URL"
SNS_TOPIC_ENV = "PMS_ALERT_SNS_TOPIC_ARN"
UI_BASE_URL_ENV = "PMS_ALERT_UI_BASE_URL"
NO_DESTINATION = f"no alert destination configured: set {WEBHOOK_ENV} and/or {SNS_TOPIC_ENV}"
# A sensor tick times out after 60 s: a destination that hangs costs at most
# ATTEMPTS * TIMEOUT_S plus the backoff (< 1.5 s) per alert.
ATTEMPTS = 3
BASE_S, CAP_S = 0.5, 4.0
TIMEOUT_S = 5.0
# Our loop retries; botocore must not multiply it by its own attempts.
_SNS_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1},
                     connect_timeout=TIMEOUT_S, read_timeout=TIMEOUT_S)


class AlertDeliveryError(Exception):
    """An alert that did not reach a destination after every attempt."""


class _Retryable(Exception):
    pass


@dataclass(frozen=True)
class Destinations:
    webhook_url: str = field(default="", repr=False)  # a secret
    sns_topic_arn: str = ""
    ui_base_url: str = ""

    @property
    def any(self) -> bool:
        return bool(self.webhook_url or self.sns_topic_arn)


def deliver(
    alert: Alert,
    destinations: Destinations,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
) -> list[str]:
    """Send `alert` to every configured destination; the names of those it reached.
    Every destination is tried even if one fails; then any failure raises."""
    delivered, failures = [], []
    senders: list[tuple[str, Callable[[], None]]] = []
    if destinations.webhook_url:
        senders.append(("webhook", lambda: post_webhook(destinations.webhook_url, alert)))
    if destinations.sns_topic_arn:
        senders.append(("sns", lambda: publish_sns(destinations.sns_topic_arn, alert)))
    for name, send in senders:
        try:
            with_retries(send, name, sleep=sleep, rng=rng)
            delivered.append(name)
        except AlertDeliveryError as error:
            failures.append(str(error))
    if failures:
        raise AlertDeliveryError(
            f"alert {alert.kind} for run {alert.run_id}: " + "; ".join(failures)
            + (f" (delivered to {', '.join(delivered)})" if delivered else "")
        )
    return delivered


def with_retries(
    send: Callable[[], None],
    name: str,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
) -> int:
    """Call `send` until it succeeds; retry only `_Retryable` failures. Returns the
    number of attempts it took."""
    for attempt in range(attempts):
        try:
            send()
            return attempt + 1
        except _Retryable as error:
            if attempt + 1 == attempts:
                raise AlertDeliveryError(
                    f"{name} failed after {attempts} attempts: {error}") from None
            sleep(full_jitter(attempt, BASE_S, CAP_S, rng))
        except AlertDeliveryError as error:
            raise AlertDeliveryError(f"{name} failed: {error}") from None
    raise AssertionError("unreachable")


def post_webhook(url: str, alert: Alert, timeout_s: float = TIMEOUT_S) -> None:
    """POST the Slack-shaped body. 429, 5xx and network errors are retryable; other
    statuses are not. No error raised here carries the URL."""
    body = json.dumps(slack_payload(alert)).encode()
    try:
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
    except ValueError:
        raise AlertDeliveryError("the webhook URL is not an http(s) URL") from None
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read()
    except urllib.error.HTTPError as error:
        status = error.code
        error.close()
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}") from None
        raise AlertDeliveryError(f"HTTP {status}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise _Retryable(f"no response ({type(reason).__name__})") from None


def publish_sns(topic_arn: str, alert: Alert, client: Any = None) -> None:
    """Publish the alert's fields as JSON, with a short subject. Throttling, 5xx and
    connection errors are retryable."""
    if client is None:
        client = aws_client("sns", region=_arn_region(topic_arn), config=_SNS_CONFIG)
    try:
        client.publish(
            TopicArn=topic_arn,
            Subject=sns_subject(alert),
            Message=sns_message(alert),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": alert.kind}},
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500 or "Throttl" in code:
            raise _Retryable(f"SNS {code or status}") from None
        raise AlertDeliveryError(f"SNS {code or status}") from None
    except BotoCoreError as error:
        raise _Retryable(f"SNS {type(error).__name__}") from None


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None
