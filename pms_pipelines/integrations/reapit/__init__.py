"""The Reapit Foundations integration: client, mapping, pull and sandbox for the platform API."""

from pathlib import Path

from pms_pipelines.integrations.kit import Integration
from pms_pipelines.integrations.reapit.client import REAPIT_BASE_URL
from pms_pipelines.integrations.reapit.pull import pull
from pms_pipelines.integrations.reapit.webhooks import WEBHOOKS

INTEGRATION = Integration(
    name="reapit",
    entities=("property", "landlord", "tenant", "tenancy"),
    # One application (client id/secret) serves many customers; the customer id picks one.
    credential_fields=("client_id", "client_secret", "customer_id"),
    default_base_url=REAPIT_BASE_URL,
    pull=pull,
    sandbox_module="pms_pipelines.integrations.reapit.sandbox",
    deletes="signalled",
    fixtures=Path(__file__).parent / "fixtures",
    spec_file="reapit-foundations-openapi.json",
    webhooks=WEBHOOKS,
)

__all__ = ["INTEGRATION"]
