"""CLI: `python -m pms_pipelines.integrations.propertyware.sandbox --port 8104 --agencies-file a.json`.

The agencies file is a JSON list of {"agency_id", "client_id", "client_secret", "system_id", and
"units": N or "fixture": path}. Logs one line per request.
"""

from __future__ import annotations

from pms_pipelines.integrations.kit.sandbox_cli import run_sandbox_cli
from pms_pipelines.integrations.propertyware.sandbox import RATE_LIMIT_PER_S, start_sandbox


def main(argv: list[str] | None = None) -> None:
    run_sandbox_cli(
        name="propertyware", description="Local Propertyware REST API v1 sandbox", default_port=8104,
        rate_limit_per_s=RATE_LIMIT_PER_S, start_sandbox=start_sandbox, argv=argv,
    )


if __name__ == "__main__":
    main()
