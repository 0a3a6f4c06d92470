"""CLI: `python -m pms_pipelines.integrations.reapit.sandbox --port 8102 --agencies-file a.json`.

The agencies file is a JSON list of {"agency_id", "client_id", "client_secret",
"customer_id", and "units": N or "fixture": path}. Logs one line per request.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading

from pms_pipelines.integrations.reapit.sandbox import RATE_LIMIT_PER_S, start_sandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local Reapit Foundations API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--agencies-file", required=True)
    parser.add_argument("--churn-seconds", type=float, default=None)
    parser.add_argument("--no-rate-limit", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--token-ttl-seconds", type=float, default=3600)
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
        rate_limit_per_s=None if args.no_rate_limit else RATE_LIMIT_PER_S, seed=args.seed,
        token_ttl_s=args.token_ttl_seconds,
        faults={"latency_ms": args.latency_ms, "p429": args.p429, "p5xx": args.p5xx,
                "p_truncate": args.p_truncate},
    )
    logging.getLogger("pms_pipelines.sandbox.reapit").info(
        "Reapit sandbox on %s (token endpoint %s/token) for agencies %s", sandbox.base_url,
        sandbox.base_url, ", ".join(a["agency_id"] for a in agencies))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sandbox.stop()


if __name__ == "__main__":
    main()
