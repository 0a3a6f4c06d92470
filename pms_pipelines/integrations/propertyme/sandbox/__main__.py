"""CLI: `python -m pms_pipelines.integrations.propertyme.sandbox --port 8103 --agencies-file a.json`.

The agencies file is a JSON list of {"agency_id", "client_id", "client_secret",
"refresh_token", and "units": N or "fixture": path}. The refresh token given is the first
valid one; the sandbox rotates it on every use. Logs one line per request.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading

from pms_pipelines.integrations.propertyme.sandbox import DEFAULT_RATE_LIMIT_PER_S, start_sandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local PropertyMe API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--agencies-file", required=True)
    parser.add_argument("--churn-seconds", type=float, default=None)
    parser.add_argument("--no-rate-limit", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--p429", type=float, default=0)
    parser.add_argument("--p5xx", type=float, default=0)
    parser.add_argument("--p-truncate", type=float, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with open(args.agencies_file) as handle:
        agencies = json.load(handle)
    sandbox = start_sandbox(
        agencies, host=args.host, port=args.port, churn_seconds=args.churn_seconds,
        rate_limit_per_s=None if args.no_rate_limit else DEFAULT_RATE_LIMIT_PER_S,
        seed=args.seed,
        faults={"latency_ms": args.latency_ms, "p429": args.p429, "p5xx": args.p5xx,
                "p_truncate": args.p_truncate},
    )
    logging.getLogger("pms_pipelines.sandbox.propertyme").info(
        "PropertyMe sandbox on %s for agencies %s", sandbox.base_url,
        ", ".join(a["agency_id"] for a in agencies))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sandbox.stop()


if __name__ == "__main__":
    main()
