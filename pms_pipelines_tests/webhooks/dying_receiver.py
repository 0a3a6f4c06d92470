"""The real receiver as its own process, which dies (`os._exit`, as a SIGKILL or an OOM
would end it) right after it stored its first notice and before it answers:

    python -m pms_pipelines_tests.webhooks.dying_receiver PORT DATABASE_URL
"""

from __future__ import annotations

import os
import sys

import uvicorn

from pms_pipelines.db import webhook_notices
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.webhooks.receiver import Receiver
from pms_pipelines.webhooks.serve import config


def main() -> None:
    port, url = int(sys.argv[1]), sys.argv[2]
    real = webhook_notices.store_notice

    def store_then_die(*args, **kwargs):  # noqa: ANN002,ANN003,ANN202
        real(*args, **kwargs)  # committed
        os._exit(137)

    webhook_notices.store_notice = store_then_die
    uvicorn.Server(config(Receiver(REGISTRY, url), "127.0.0.1", port)).run()


if __name__ == "__main__":
    main()
