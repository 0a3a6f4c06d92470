"""The webhook receiver: one route per PMS that has webhooks, `POST /webhooks/<pms>`.

A delivery is read (at most `MAX_BODY` bytes), checked and stored before it is
answered, and answered well inside the vendor's deadline (the database is given
`STATEMENT_TIMEOUT_MS`; a slow one gets a 503 the vendor retries, never a silent loss):

| answer | when | stored |
|---|---|---|
| 200 `stored` | a notice we use, its signature the vendor's | yes, once |
| 200 `duplicate` | the vendor retried a notice already stored (its own key) | no |
| 202 `unused` / `no ids` | an event we do not use, or one naming no record | no, counted |
| 202 `unknown account` | no enabled agency is registered with that webhook account | no, counted |
| 400 | not a JSON object, or no account or event in it | no, counted |
| 401 | a signature that is missing, wrong, or stale (outside the window) | no, counted |
| 409 `replayed` | the very delivery again (the same signature) | no, counted |
| 413 | a body over `MAX_BODY` | no, counted |
| 503 | the database, the agency's credentials or the vendor's keys cannot be read now | no |

The integration's declaration (`Integration.webhooks`) says everything vendor-specific;
nothing here knows a vendor. `python -m pms_pipelines.webhooks` serves it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pms_pipelines.db import webhook_notices
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.integrations.kit.webhook_signatures import SignatureRefused
from pms_pipelines.integrations.kit.webhooks import NoticeUnreadable
from pms_pipelines.pulls.credentials import CredentialsError
from pms_pipelines.webhooks.agency_keys import KeyBook, KeysUnavailable

MAX_BODY = 256 * 1024  # notices are ids and a little state; Reapit's carry the record
STATEMENT_TIMEOUT_MS = 3000
CONNECT_TIMEOUT_S = 3  # a database that does not answer: 503 inside the vendor's deadline
DATABASE_THREADS = 8  # connections to Postgres per receiver process, at most
log = logging.getLogger("pms_pipelines.webhooks")


@dataclass(frozen=True)
class Answer:
    status: int
    outcome: str
    detail: str = ""
    notice: int | None = None

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"outcome": self.outcome}
        if self.detail:
            body["detail"] = self.detail
        if self.notice is not None:
            body["notice"] = self.notice
        return JSONResponse(body, status_code=self.status)


class Receiver:
    """Checks and stores deliveries; one per process, its connections one per thread."""

    def __init__(self, registry: Mapping[str, Integration], database_url: str, *,
                 clock: Callable[[], float] = time.time, max_body: int = MAX_BODY) -> None:
        self.integrations = {n: i for n, i in registry.items() if i.webhooks is not None}
        self._url = database_url
        self._local = threading.local()
        self.clock = clock
        self.max_body = max_body
        self.keys = KeyBook(self.connection)

    def connection(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = connect(self._url, application_name="pms-webhooks",
                           connect_timeout_s=CONNECT_TIMEOUT_S)
            conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
            conn.commit()
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def refuse(self, pms: str, answer: Answer) -> Answer:
        webhook_notices.count_refusal(self.connection(), pms, answer.outcome)
        log.info("%s webhook: %s %s %s", pms, answer.status, answer.outcome, answer.detail)
        return answer

    def receive(self, pms: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """Check one delivery, store its notice, say what to answer."""
        try:
            return self._receive(self.integrations[pms], headers, body)
        except psycopg.Error as error:
            self._drop_connection()  # the next delivery connects afresh
            log.error("%s webhook: database unavailable (%s), answered 503", pms, error)
            return Answer(503, "unavailable", "try again")
        except (KeysUnavailable, CredentialsError) as error:
            log.error("%s webhook: cannot check signatures (%s), answered 503", pms, error)
            return Answer(503, "unavailable", "try again")

    def _receive(self, integration: Integration, headers: Mapping[str, str],
                 body: bytes) -> Answer:
        pms, webhooks = integration.name, integration.webhooks
        assert webhooks is not None
        try:
            document = json.loads(body)
            if not isinstance(document, dict):
                raise NoticeUnreadable("the body is not a JSON object")
            account = webhooks.account_of(document)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError,
                NoticeUnreadable) as error:
            return self.refuse(pms, Answer(400, "unreadable", _said(error)))
        keys = self.keys.for_account(integration, account)
        if keys is None:
            return self.refuse(pms, Answer(202, "unknown account"))
        try:
            signature = webhooks.scheme.check(headers, body, keys, self.clock(),
                                              webhooks.window_s)
        except SignatureRefused as error:
            log.info("%s webhook for %s refused: %s", pms, keys.agency.agency_id, error)
            return self.refuse(pms, Answer(401, "bad signature", error.public))
        try:
            notice = webhooks.read(document)
        except NoticeUnreadable as error:
            return self.refuse(pms, Answer(400, "unreadable", str(error)))
        if not notice.targets:
            outcome = "unused" if notice.event_name not in webhooks.topics else "no ids"
            return self.refuse(pms, Answer(202, outcome, notice.event_name[:80]))
        stored, notice_id = webhook_notices.store_notice(
            self.connection(), pms=pms, agency_id=keys.agency.agency_id,
            dedupe_key=webhooks.dedupe(document, body), signature=signature,
            event_name=notice.event_name, targets=[t.as_json() for t in notice.targets],
            body=body)
        if stored == "replayed":
            return self.refuse(pms, Answer(409, "replayed", "this delivery was received",
                                           notice_id))
        log.info("%s webhook: %s %s notice %s for %s", pms, stored, notice.event_name,
                 notice_id, keys.agency.agency_id)
        return Answer(200, stored, notice=notice_id)


def _said(error: Exception) -> str:
    if isinstance(error, (UnicodeDecodeError, json.JSONDecodeError)):
        return "the body is not JSON"
    if isinstance(error, RecursionError):
        return "the body nests too deep"
    return str(error)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it is over `limit` bytes (never held beyond that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def build_app(receiver: Receiver) -> Starlette:
    from starlette.concurrency import run_in_threadpool

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Deliveries are checked and stored in threads, one database connection each:
        # this many at once per process, whatever the burst (the rest wait their turn).
        anyio.to_thread.current_default_thread_limiter().total_tokens = DATABASE_THREADS
        yield

    async def deliver(request: Request) -> JSONResponse:
        pms = request.path_params["pms"]
        if pms not in receiver.integrations:
            return JSONResponse({"outcome": "no such route"}, status_code=404)
        body = await _read_body(request, receiver.max_body)
        if body is None:
            answer = await run_in_threadpool(
                receiver.refuse, pms,
                Answer(413, "too large", f"over {receiver.max_body} bytes"))
            return answer.response()
        headers = {k.lower(): v for k, v in request.headers.items()}
        answer = await run_in_threadpool(receiver.receive, pms, headers, body)
        return answer.response()

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"routes": sorted(f"/webhooks/{p}" for p in receiver.integrations)})

    return Starlette(routes=[
        Route("/webhooks/{pms}", deliver, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ], lifespan=lifespan)
