"""A real receiver on loopback, with the Buildium and Reapit sandboxes subscribed to it
and one registered agency each (its credentials in a file, as the local stack keeps
them), over a fresh migrated database."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pms_pipelines.db import agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.buildium.sandbox import start_sandbox as start_buildium
from pms_pipelines.integrations.reapit.sandbox import start_sandbox as start_reapit
from pms_pipelines.webhooks.serve import RunningReceiver, start_receiver

BUILDIUM_ACCOUNT = "123456"
REAPIT_CUSTOMER = "RPT"


@dataclass
class WebhookStack:
    db_url: str
    receiver: RunningReceiver
    sandboxes: dict[str, Any]
    credentials: dict[str, dict[str, str]] = field(repr=False)

    def notices(self) -> list[tuple[Any, ...]]:
        with connect(self.db_url) as conn:
            return conn.execute(
                "SELECT pms, agency_id, event_name, targets, served_at "
                "FROM ingest.webhook_notice ORDER BY id").fetchall()

    def refusals(self) -> dict[tuple[str, str], int]:
        with connect(self.db_url) as conn:
            rows = conn.execute(
                "SELECT pms, outcome, sum(count) FROM ingest.webhook_refusal "
                "GROUP BY pms, outcome").fetchall()
        return {(p, o): int(n) for p, o, n in rows}


def _register(db_url: str, tmp: Path, pms: str, agency_id: str, account: str,
              credentials: dict[str, str]) -> None:
    path = tmp / f"{pms}-{agency_id}.json"
    path.write_text(json.dumps(credentials))
    with connect(db_url) as conn:
        agencies.register_agency(conn, pms, agency_id, display_name=agency_id,
                                 credentials_ref=f"file:{path}", webhook_account=account)
        conn.commit()


@pytest.fixture
def webhook_stack(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[WebhookStack]:
    buildium = {"client_id": f"b-{secrets.token_hex(4)}", "client_secret": secrets.token_hex(8),
                "webhook_secret": secrets.token_urlsafe(24)}
    reapit = {"client_id": f"r-{secrets.token_hex(4)}", "client_secret": secrets.token_hex(8),
              "customer_id": REAPIT_CUSTOMER}
    sandboxes = {
        "buildium": start_buildium(
            [{"agency_id": "acme", "units": 20, "webhook_account": BUILDIUM_ACCOUNT, **buildium}],
            rate_limit_per_s=None),
        "reapit": start_reapit(
            [{"agency_id": "harbour", "units": 20, "webhook_account": REAPIT_CUSTOMER,
              **reapit}], rate_limit_per_s=None),
    }
    for name, sandbox in sandboxes.items():
        monkeypatch.setenv(f"PMS_{name.upper()}_BASE_URL", sandbox.base_url)
    _register(db_url, tmp_path, "buildium", "acme", BUILDIUM_ACCOUNT, buildium)
    _register(db_url, tmp_path, "reapit", "harbour", REAPIT_CUSTOMER, reapit)
    receiver = start_receiver(REGISTRY, db_url)
    for name, sandbox in sandboxes.items():
        sandbox.webhooks.subscribe(receiver.url(name))
    try:
        yield WebhookStack(db_url, receiver, sandboxes, {"buildium": buildium, "reapit": reapit})
    finally:
        receiver.stop()
        for sandbox in sandboxes.values():
            sandbox.stop()
