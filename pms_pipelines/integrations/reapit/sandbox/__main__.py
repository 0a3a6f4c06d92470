"""CLI: `python -m pms_pipelines.integrations.reapit.sandbox --port 8102 --agencies-file a.json`.

The agencies file is a JSON list of {"agency_id", "client_id", "client_secret",
"customer_id", and "units": N or "fixture": path}. Logs one line per request.
"""

from __future__ import annotations

from pms_pipelines.integrations.kit.sandbox_cli import run_sandbox_cli
from pms_pipelines.integrations.reapit.sandbox import RATE_LIMIT_PER_S, start_sandbox


def main(argv: list[str] | None = None) -> None:
    run_sandbox_cli(
        name="reapit", description="Local Reapit Foundations API sandbox", default_port=8102,
        rate_limit_per_s=RATE_LIMIT_PER_S, start_sandbox=start_sandbox, argv=argv,
        extra_options=lambda parser: parser.add_argument(
            "--token-ttl-seconds", type=float, default=3600),
        extra_kwargs=lambda args: {"token_ttl_s": args.token_ttl_seconds},
    )


if __name__ == "__main__":
    main()
