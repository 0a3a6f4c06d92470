"""Dagster resources: Postgres and Kinesis, configured from the environment only."""


import os
from typing import Any

from dagster import ConfigurableResource, EnvVar

from pms_pipelines.db.connection import connect
from pms_pipelines.aws import kinesis_client


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


class PmsEndpoints(ConfigurableResource):
    """Where each PMS is reached: the vendor's URL unless `PMS_<NAME>_BASE_URL` says
    otherwise (the local stack points it at the sandbox)."""

    def base_url(self, pms: str, default: str) -> str:
        return os.environ.get(f"PMS_{pms.upper()}_BASE_URL", default)


def resources() -> dict[str, Any]:
    """The same resource set for `local` and `prod`: they differ only by environment values."""
    return {
        "postgres": PostgresResource(url=EnvVar("PMS_DATABASE_URL")),
        "kinesis": KinesisResource(stream_name=EnvVar("PMS_STREAM_NAME")),
        "pms_endpoints": PmsEndpoints(),
    }
