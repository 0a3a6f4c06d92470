"""Dagster resources: Postgres, Kinesis, Firehose and the lake, configured from the
environment only."""


import os
from typing import Any

from dagster import ConfigurableResource, EnvVar

from pms_pipelines.alerts.delivery import (
    SNS_TOPIC_ENV,
    UI_BASE_URL_ENV,
    WEBHOOK_ENV,
    Destinations,
)
from pms_pipelines.db.connection import connect
from pms_pipelines.aws import aws_client, kinesis_client
from pms_pipelines.settings import pms_base_url


class PostgresResource(ConfigurableResource):
    """The database the app reads (RDS in production)."""

    url: str

    def connect(self, application_name: str = "pms-pipelines") -> Any:
        return connect(self.url, application_name=application_name)


class KinesisResource(ConfigurableResource):
    """The events stream. The endpoint comes from `AWS_ENDPOINT_URL` when set (local)."""

    stream_name: str

    def client(self) -> Any:
        return kinesis_client()


class FirehoseResource(ConfigurableResource):
    """The delivery stream of handled events (the lake's raw feed); empty: send nothing."""

    delivery_stream: str = ""

    def client(self) -> Any:
        return aws_client("firehose")


class LakeResource(ConfigurableResource):
    """Where Firehose lands raw objects, where the Parquet lake lives, and the masking key
    (a secret: Secrets Manager in AWS, a per-state-dir random key locally)."""

    raw_bucket: str = ""
    lake_bucket: str = ""
    mask_key: str = ""
    raw_prefix: str = "raw/"

    def s3(self) -> Any:
        if not (self.raw_bucket and self.lake_bucket):
            raise ValueError("the lake needs PMS_RAW_BUCKET and PMS_LAKE_BUCKET")
        return aws_client("s3")


class PmsEndpoints(ConfigurableResource):
    """Where each PMS is reached: the vendor's URL unless `PMS_<NAME>_BASE_URL` says
    otherwise (the local stack points it at the sandbox)."""

    def base_url(self, pms: str, default: str) -> str:
        return pms_base_url(pms, default)


class AlertsResource(ConfigurableResource):
    """Where alerts go: a Slack-compatible webhook (its URL is a secret) and/or an SNS
    topic; none set: the alert sensors skip and say so. `ui_base_url` links the run."""

    webhook_url: str = ""
    sns_topic_arn: str = ""
    ui_base_url: str = ""

    def destinations(self) -> Destinations:
        return Destinations(self.webhook_url, self.sns_topic_arn, self.ui_base_url)


def resources() -> dict[str, Any]:
    """The same resource set for `local` and `prod`: they differ only by environment values."""
    return {
        "postgres": PostgresResource(url=EnvVar("PMS_DATABASE_URL")),
        "kinesis": KinesisResource(stream_name=EnvVar("PMS_STREAM_NAME")),
        "firehose": FirehoseResource(delivery_stream=_optional("PMS_FIREHOSE_STREAM")),
        "lake": LakeResource(
            raw_bucket=_optional("PMS_RAW_BUCKET"),
            lake_bucket=_optional("PMS_LAKE_BUCKET"),
            mask_key=_optional("PMS_LAKE_MASK_KEY"),
        ),
        "pms_endpoints": PmsEndpoints(),
        "alerts": AlertsResource(
            webhook_url=_optional(WEBHOOK_ENV),
            sns_topic_arn=_optional(SNS_TOPIC_ENV),
            ui_base_url=_optional(UI_BASE_URL_ENV),
        ),
    }


def _optional(name: str) -> Any:
    """EnvVar(name) when set, else "": an unset EnvVar fails every run and sensor that
    builds the resources, and the lake is optional (the code that uses it says so)."""
    return EnvVar(name) if os.environ.get(name) else ""
