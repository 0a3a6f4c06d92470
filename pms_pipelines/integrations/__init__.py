"""Every PMS integration, registered by name (one line per PMS)."""

from pms_pipelines.integrations import buildium
from pms_pipelines.integrations.kit import Integration

REGISTRY: dict[str, Integration] = {
    "buildium": buildium.INTEGRATION,
}

__all__ = ["REGISTRY", "Integration"]
