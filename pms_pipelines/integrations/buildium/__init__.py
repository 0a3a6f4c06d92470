"""The Buildium integration: client, mapping, pull and sandbox for the Buildium Open API."""

from pathlib import Path

from pms_pipelines.integrations.buildium.client import BUILDIUM_BASE_URL
from pms_pipelines.integrations.buildium.pull import pull
from pms_pipelines.integrations.buildium.webhooks import WEBHOOKS
from pms_pipelines.integrations.kit import Integration

INTEGRATION = Integration(
    name="buildium",
    entities=("property", "landlord", "tenant", "tenancy"),
    credential_fields=("client_id", "client_secret"),
    default_base_url=BUILDIUM_BASE_URL,
    pull=pull,
    sandbox_module="pms_pipelines.integrations.buildium.sandbox",
    deletes="snapshot",
    fixtures=Path(__file__).parent / "fixtures",
    spec_file="buildium-openapi.json",
    webhooks=WEBHOOKS,
)

__all__ = ["INTEGRATION"]
