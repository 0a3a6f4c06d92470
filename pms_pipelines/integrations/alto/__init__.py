"""The Alto (Vebra / Zoopla) integration: client, mapping, pull and sandbox for its API."""

from pathlib import Path

from pms_pipelines.integrations.alto.client import ALTO_BASE_URL
from pms_pipelines.integrations.alto.pull import pull
from pms_pipelines.integrations.kit import Integration

INTEGRATION = Integration(
    name="alto",
    entities=("property", "landlord", "tenant", "tenancy"),
    # One application (client id/secret) serves many agencies; the AgencyRef picks one.
    credential_fields=("client_id", "client_secret", "agency_ref"),
    optional_fields=("rate_limit_per_s",),  # Alto publishes no limit: set it per agency
    default_base_url=ALTO_BASE_URL,
    pull=pull,
    sandbox_module="pms_pipelines.integrations.alto.sandbox",
    # Properties and contacts are archived (asked for on incremental pulls), but a
    # tenancy has no archive flag: full pulls' snapshot diff catches every delete.
    deletes="snapshot",
    fixtures=Path(__file__).parent / "fixtures",
    spec_file="alto-openapi.json",
)

__all__ = ["INTEGRATION"]
