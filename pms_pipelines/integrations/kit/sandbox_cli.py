"""The one command line every sandbox has: `python -m pms_pipelines.integrations.<pms>.sandbox`.

Options (host, port, agencies file, churn, rate limit, seed, faults, and the lifetime of
access tokens where the vendor has a token endpoint) for any sandbox package: its
declaration (`API`) names it and gives its documented rate limit; its `start_sandbox`
starts it. A package's `__main__.py` is one call: `run_sandbox_cli(__package__, port)`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import signal
import threading


def run_sandbox_cli(package: str, default_port: int, argv: list[str] | None = None) -> None:
    module = importlib.import_module(package)
    api, start_sandbox = module.API, module.start_sandbox
    description = f"Local {api.name} API sandbox (the kit's declared sandbox)"
    parser = argparse.ArgumentParser(prog=f"python -m {package}", description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--agencies-file", required=True,
                        help="JSON list of {agency_id, <credential fields>, units | fixture, "
                             "and optionally variants}")
    parser.add_argument("--churn-seconds", type=float, default=None)
    parser.add_argument("--no-rate-limit", action="store_true",
                        help=f"(documented limit: {api.rate_limit_per_s} requests/s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--p429", type=float, default=0)
    parser.add_argument("--p5xx", type=float, default=0)
    parser.add_argument("--p-truncate", type=float, default=0)
    tokens = api.auth.token_path is not None
    if tokens:
        parser.add_argument("--token-ttl-seconds", type=float, default=3600)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with open(args.agencies_file) as handle:
        agencies = json.load(handle)
    sandbox = start_sandbox(
        agencies, host=args.host, port=args.port, churn_seconds=args.churn_seconds,
        rate_limit_per_s=None if args.no_rate_limit else api.rate_limit_per_s, seed=args.seed,
        faults={"latency_ms": args.latency_ms, "p429": args.p429, "p5xx": args.p5xx,
                "p_truncate": args.p_truncate},
        **({"token_ttl_s": args.token_ttl_seconds} if tokens else {}),
    )
    logging.getLogger(f"pms_pipelines.sandbox.{api.name}").info(
        "%s on %s for agencies %s", description, sandbox.base_url,
        ", ".join(a["agency_id"] for a in agencies))
    # Ctrl-C and SIGTERM (a test, a process manager) stop it cleanly, whatever signal
    # state the parent left (a blocked or ignored SIGTERM is inherited across exec).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sandbox.stop()
