"""A stand-in vendor on 127.0.0.1 whose every answer is drawn by the test's own thread.

The client under test runs in a worker thread and talks HTTP to this server as it would
to the vendor. Each request waits in a queue until the test thread, inside a Hypothesis
example, draws its answer (so Hypothesis generates, and shrinks, the whole conversation)
and hands it back. POSTs are the token requests of the OAuth integrations and get a
valid token: what is fuzzed is the data, not the login.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = {"access_token": "fuzz-access", "token_type": "Bearer", "expires_in": 3600,
         "refresh_token": "fuzz-refresh", "scope": "read"}
ANSWER_WAIT_S = 60


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class PendingRequest:
    method: str
    path: str  # with the query
    answered: threading.Event = field(default_factory=threading.Event)
    answer: Answer | None = None

    def reply(self, answer: Answer) -> None:
        self.answer = answer
        self.answered.set()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        request = PendingRequest(self.command, self.path)
        self.server.pending.put(request)
        if not request.answered.wait(ANSWER_WAIT_S) or request.answer is None:
            self.send_error(504, "the test thread drew no answer")
            return
        answer = request.answer
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST = _serve

    def log_message(self, *_args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    pending: queue.Queue[PendingRequest]


@contextmanager
def generated_vendor() -> Iterator[tuple[int, queue.Queue[PendingRequest]]]:
    """A running server: its port and the queue its requests wait in."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.pending = queue.Queue()
    thread = threading.Thread(target=server.serve_forever, name="generated-vendor", daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.pending
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Conversation:
    requests: list[str] = field(default_factory=list)
    outcome: Any = None  # what the client returned
    error: BaseException | None = None  # or raised
    cut_off: bool = False  # it asked for more than the bound


def converse(pending: queue.Queue[PendingRequest], client: Callable[[], Any],
             answer: Callable[[PendingRequest], Answer], max_requests: int) -> Conversation:
    """Run `client` in a worker thread, answering each of its requests with `answer` on
    this thread; past `max_requests` it gets 400s (so a client that pages forever ends)."""
    talk = Conversation()

    def run() -> None:
        try:
            talk.outcome = client()
        except BaseException as error:  # noqa: BLE001 - judged by the test
            talk.error = error

    worker = threading.Thread(target=run, name="client-under-test", daemon=True)
    worker.start()
    request: PendingRequest | None = None
    try:
        for request in _requests(pending, worker):
            if request.method == "POST":
                request.reply(Answer(200, json.dumps(TOKEN).encode()))
                continue
            talk.requests.append(request.path)
            if len(talk.requests) > max_requests:
                talk.cut_off = True
                request.reply(Answer(400, b'{"message": "the test allows no more requests"}'))
                continue
            request.reply(answer(request))
    except BaseException:
        # Hypothesis stopped the example mid-draw (or the answer failed): this and every
        # further request is refused until the client gives up, so nothing leaks into the
        # next example.
        if request is not None and not request.answered.is_set():
            request.reply(Answer(503, b"{}"))
        for later in _requests(pending, worker):
            later.reply(Answer(503, b"{}"))
        raise
    finally:
        worker.join()
    return talk


def _requests(pending: queue.Queue[PendingRequest],
              worker: threading.Thread) -> Iterator[PendingRequest]:
    while worker.is_alive() or not pending.empty():
        try:
            yield pending.get(timeout=0.01)
        except queue.Empty:
            continue
