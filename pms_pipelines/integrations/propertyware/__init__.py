"""The Propertyware integration: client, mapping, pull and sandbox for Propertyware's REST API v1."""

from pathlib import Path

from pms_pipelines.integrations.kit import Integration
from pms_pipelines.integrations.propertyware.client import CREDENTIAL_FIELDS, PROPERTYWARE_BASE_URL
from pms_pipelines.integrations.propertyware.pull import pull

INTEGRATION = Integration(
    name="propertyware",
    entities=("property", "landlord", "tenant", "tenancy"),
    credential_fields=CREDENTIAL_FIELDS,
    default_base_url=PROPERTYWARE_BASE_URL,
    pull=pull,
    sandbox_module="pms_pipelines.integrations.propertyware.sandbox",
    # Propertyware signals no deletes for these records: the platform diffs full pulls.
    deletes="snapshot",
    fixtures=Path(__file__).parent / "fixtures",
    spec_file="propertyware-openapi.json",
)

__all__ = ["INTEGRATION"]
