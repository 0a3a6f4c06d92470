"""The one command line every sandbox has: `python -m pms_pipelines.integrations.<pms>.sandbox`.

Options common to all (host, port, agencies file, churn, rate limit, seed, faults); a
sandbox adds its own (Reapit's token lifetime) through `extra_options` and turns them
into `start_sandbox` arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from pms_pipelines.integrations.kit.sandbox import RunningSandbox


def run_sandbox_cli(
    *,
    name: str,
    description: str,
    default_port: int,
    rate_limit_per_s: float,
    start_sandbox: Callable[..., RunningSandbox],
    argv: list[str] | None = None,
    extra_options: Callable[[argparse.ArgumentParser], None] | None = None,
    extra_kwargs: Callable[[argparse.Namespace], dict[str, Any]] | None = None,
) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--agencies-file", required=True,
                        help="JSON list of {agency_id, <credential fields>, units | fixture}")
    parser.add_argument("--churn-seconds", type=float, default=None)
    parser.add_argument("--no-rate-limit", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--p429", type=float, default=0)
    parser.add_argument("--p5xx", type=float, default=0)
    parser.add_argument("--p-truncate", type=float, default=0)
    if extra_options is not None:
        extra_options(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with open(args.agencies_file) as handle:
        agencies = json.load(handle)
    sandbox = start_sandbox(
        agencies, host=args.host, port=args.port, churn_seconds=args.churn_seconds,
        rate_limit_per_s=None if args.no_rate_limit else rate_limit_per_s, seed=args.seed,
        faults={"latency_ms": args.latency_ms, "p429": args.p429, "p5xx": args.p5xx,
                "p_truncate": args.p_truncate},
        **(extra_kwargs(args) if extra_kwargs is not None else {}),
    )
    logging.getLogger(f"pms_pipelines.sandbox.{name}").info(
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
