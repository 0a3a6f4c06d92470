"""Every PMS integration, registered by name: one line per PMS.

Each is imported on its own (`kit/registry.py`): one that fails to load is listed in
`UNAVAILABLE` with its error and shown in the Dagster UI, and the others still run.
"""

from pms_pipelines.integrations.kit import Integration
from pms_pipelines.integrations.kit.registry import load_integrations

MODULES: dict[str, str] = {
    "alto": "pms_pipelines.integrations.alto",
    "buildium": "pms_pipelines.integrations.buildium",
    "propertyme": "pms_pipelines.integrations.propertyme",
    "propertyware": "pms_pipelines.integrations.propertyware",
    "reapit": "pms_pipelines.integrations.reapit",
}

REGISTRY, UNAVAILABLE = load_integrations(MODULES)

__all__ = ["MODULES", "REGISTRY", "UNAVAILABLE", "Integration"]
