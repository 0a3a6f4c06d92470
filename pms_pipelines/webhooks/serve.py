"""Serve the receiver with uvicorn: in this process's background (the local stack, tests)
or as the process itself (`python -m pms_pipelines.webhooks`, the ECS service)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import uvicorn

from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.webhooks.receiver import Receiver, build_app


@dataclass
class RunningReceiver:
    server: uvicorn.Server
    thread: threading.Thread
    base_url: str
    receiver: Receiver

    def url(self, pms: str) -> str:
        return f"{self.base_url}/webhooks/{pms}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def config(receiver: Receiver, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        build_app(receiver), host=host, port=port or 0, log_level="warning",
        access_log=False, lifespan="on",
        # Vendors hold a connection open between notices: keep it, answer fast.
        timeout_keep_alive=30, limit_concurrency=200,
    )


def start_receiver(registry: Mapping[str, Integration], database_url: str, *,
                   host: str = "127.0.0.1", port: int = 0) -> RunningReceiver:
    """The receiver in a background thread, listening once this returns."""
    receiver = Receiver(registry, database_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(config(receiver, host, sock.getsockname()[1]))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="webhook-receiver", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.02)
    return RunningReceiver(server, thread, f"http://{host}:{sock.getsockname()[1]}", receiver)
