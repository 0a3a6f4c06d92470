"""Load integrations one by one, so a broken one cannot stop the others.

An integration that fails to import (a bug, a missing dependency, a bad declaration)
is kept out of the registry with its error, which the Dagster layer shows in the UI;
bad credentials or a provider that is down fail only that PMS's own runs.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Mapping

from pms_pipelines.integrations.kit.integration import Integration

log = logging.getLogger(__name__)


def load_integrations(
    modules: Mapping[str, str],
) -> tuple[dict[str, Integration], dict[str, str]]:
    """(registry of those that loaded, error text of those that did not), by name."""
    loaded: dict[str, Integration] = {}
    failed: dict[str, str] = {}
    for name, module_path in modules.items():
        try:
            integration = importlib.import_module(module_path).INTEGRATION
            if not isinstance(integration, Integration) or integration.name != name:
                raise TypeError(f"{module_path}.INTEGRATION is not an Integration named {name!r}")
        except Exception as error:  # noqa: BLE001 - any failure must stay this PMS's own
            failed[name] = "".join(traceback.format_exception_only(error)).strip()
            log.error("integration %s is unavailable: %s", name, failed[name])
            continue
        loaded[name] = integration
    return loaded, failed
