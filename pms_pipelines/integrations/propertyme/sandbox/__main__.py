"""CLI: `python -m pms_pipelines.integrations.propertyme.sandbox --port 8103 --agencies-file a.json`.

The agencies file is a JSON list of {"agency_id", "client_id", "client_secret",
"refresh_token", and "units": N or "fixture": path}. The refresh token given is the first
valid one; the sandbox rotates it on every use. Logs one line per request.
"""

from __future__ import annotations

from pms_pipelines.integrations.kit.sandbox_cli import run_sandbox_cli
from pms_pipelines.integrations.propertyme.sandbox import DEFAULT_RATE_LIMIT_PER_S, start_sandbox


def main(argv: list[str] | None = None) -> None:
    run_sandbox_cli(
        name="propertyme", description="Local PropertyMe API sandbox", default_port=8103,
        rate_limit_per_s=DEFAULT_RATE_LIMIT_PER_S, start_sandbox=start_sandbox, argv=argv,
    )


if __name__ == "__main__":
    main()
