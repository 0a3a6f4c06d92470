"""`python -m pms_pipelines.webhooks [--host H] [--port P]`: the webhook receiver.

Reads `PMS_DATABASE_URL` (where notices are stored and agencies registered). In AWS it
runs as its own ECS service behind the load balancer's `/webhooks/*` path."""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn

from pms_pipelines.db.connection import database_url
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.webhooks.receiver import Receiver
from pms_pipelines.webhooks.serve import config


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pms_pipelines.webhooks",
                                     description="Receive the PMSs' webhooks.")
    parser.add_argument("--host", default=os.environ.get("PMS_WEBHOOK_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PMS_WEBHOOK_PORT", "8090")))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    receiver = Receiver(REGISTRY, database_url())
    logging.getLogger("pms_pipelines.webhooks").info(
        "receiving %s on %s:%s", ", ".join(f"/webhooks/{p}" for p in receiver.integrations),
        args.host, args.port)
    uvicorn.Server(config(receiver, args.host, args.port)).run()


if __name__ == "__main__":
    main()
