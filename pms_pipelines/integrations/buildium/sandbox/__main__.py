"""CLI: `python -m pms_pipelines.integrations.buildium.sandbox --port 8101 --agencies-file a.json`.

The agencies file is a JSON list of {"agency_id", "client_id", "client_secret", and
"units": N or "fixture": path}. Logs one line per request.
"""

from __future__ import annotations

from pms_pipelines.integrations.kit.sandbox_cli import run_sandbox_cli
from pms_pipelines.integrations.buildium.sandbox import start_sandbox


def main(argv: list[str] | None = None) -> None:
    run_sandbox_cli(
        name="buildium", description="Local Buildium Open API sandbox", default_port=8101,
        rate_limit_per_s=10.0, start_sandbox=start_sandbox, argv=argv,
    )


if __name__ == "__main__":
    main()
