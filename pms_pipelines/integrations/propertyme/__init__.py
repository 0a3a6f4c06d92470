"""The PropertyMe integration: client, mapping, pull and sandbox for the PropertyMe API."""

from pathlib import Path

from pms_pipelines.integrations.kit import Integration
from pms_pipelines.integrations.propertyme.client import PROPERTYME_BASE_URL
from pms_pipelines.integrations.propertyme.pull import pull

INTEGRATION = Integration(
    name="propertyme",
    entities=("property", "landlord", "tenant", "tenancy"),
    credential_fields=("client_id", "client_secret", "refresh_token"),
    default_base_url=PROPERTYME_BASE_URL,
    pull=pull,
    sandbox_module="pms_pipelines.integrations.propertyme.sandbox",
    deletes="signalled",
    fixtures=Path(__file__).parent / "fixtures",
    spec_file="propertyme-swagger2.json",
)

__all__ = ["INTEGRATION"]
