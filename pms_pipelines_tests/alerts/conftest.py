"""What the alert tests deliver to: a webhook receiver on loopback, an SNS topic in moto
with an SQS queue subscribed to read what was published, and a Postgres-backed
Dagster instance (the storage of the local stack and of AWS)."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dagster import DagsterInstance

from pms_pipelines.aws import aws_client
from pms_pipelines.local_stack.stack import dagster_storage_url

ROOT = Path(__file__).resolve().parents[2]
# The webhook URL is a secret: its path must never show up in a message or an error.
WEBHOOK_SECRET_PATH = "/services/T0SECRET/B0SECRET/xoxb-webhook-secret-4f9a"


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    bodies: list[dict] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    receiver = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                receiver.paths.append(self.path)
                receiver.bodies.append(json.loads(body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{WEBHOOK_SECRET_PATH}"
    yield receiver
    server.shutdown()
    server.server_close()


@dataclass
class SnsTopic:
    arn: str
    queue_url: str

    def published(self) -> list[dict]:
        """Every notification the subscribed queue holds now (SNS envelopes)."""
        sqs, found = aws_client("sqs"), []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                        WaitTimeSeconds=0).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url,
                                   ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def sns_topic(moto_emulator) -> SnsTopic:  # noqa: ANN001
    name = f"alerts-{uuid.uuid4().hex[:8]}"
    sns, sqs = aws_client("sns"), aws_client("sqs")
    arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
    return SnsTopic(arn, queue_url)


@pytest.fixture
def dagster_instance(tmp_path, db_url, monkeypatch) -> Iterator[DagsterInstance]:  # noqa: ANN001
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_storage_url(db_url))
    instance = DagsterInstance.from_config(str(tmp_path))
    yield instance
    instance.dispose()
