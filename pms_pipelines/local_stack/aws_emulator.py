"""moto in server mode on loopback: the AWS APIs (Kinesis, Firehose, S3) of the local stack."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from pms_pipelines.aws import aws_client

# moto accepts any credentials; these only keep boto3 from looking for real ones.
EMULATOR_ENV = {
    "AWS_ACCESS_KEY_ID": "local-stack",
    "AWS_SECRET_ACCESS_KEY": "local-stack",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
}


@dataclass
class RunningEmulator:
    endpoint_url: str
    server: ThreadedMotoServer

    def env(self) -> dict[str, str]:
        return {**EMULATOR_ENV, "AWS_ENDPOINT_URL": self.endpoint_url}

    def stop(self) -> None:
        self.server.stop()


def start_moto(port: int = 0) -> RunningEmulator:
    # werkzeug logs every request at INFO: thousands of lines that hide what matters.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    return RunningEmulator(f"http://{host}:{bound_port}", server)


def use_emulator(emulator: RunningEmulator) -> None:
    """Point this process's boto3 clients at the emulator."""
    os.environ.update(emulator.env())


def create_stream(stream: str, shard_count: int, timeout_s: float = 30) -> None:
    """Create the stream if missing and wait until it is ACTIVE."""
    kinesis = aws_client("kinesis")
    try:
        kinesis.create_stream(StreamName=stream, ShardCount=shard_count)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
    wait_active(stream, timeout_s)


def wait_active(stream: str, timeout_s: float = 30) -> None:
    """Wait until the stream is ACTIVE again (after a create, split or merge)."""
    kinesis = aws_client("kinesis")
    deadline = time.monotonic() + timeout_s
    while kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamStatus"
    ] != "ACTIVE":
        if time.monotonic() > deadline:
            raise TimeoutError(f"stream {stream} did not become ACTIVE in {timeout_s}s")
        time.sleep(0.05)


def create_delivery_stream(name: str, bucket: str, prefix: str) -> None:
    """A direct-put Firehose stream into `bucket` under `prefix`. moto writes each put as
    one object `<prefix>YYYY/MM/DD/HH/<name>-...` at once, ignoring buffering hints."""
    firehose = aws_client("firehose")
    try:
        firehose.create_delivery_stream(
            DeliveryStreamName=name,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                # moto checks neither; real Firehose needs a role that may write the bucket.
                "RoleARN": "arn:aws:iam::123456789012:role/local-firehose",
                "BucketARN": f"arn:aws:s3:::{bucket}",
                "Prefix": prefix,
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise


def create_topic(name: str) -> str:
    """An SNS topic (create_topic is idempotent); its ARN."""
    return aws_client("sns").create_topic(Name=name)["TopicArn"]


def create_bucket(bucket: str) -> None:
    s3 = aws_client("s3")
    try:
        s3.create_bucket(
            Bucket=bucket,
            CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
