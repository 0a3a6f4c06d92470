"""The sandbox's data: one `AgencyStore` per agency (one connected PropertyMe portfolio),
holding lots, contacts and tenancies as the API returns them, and its OAuth state.

Every change stamps the record with `UpdatedOn` and a new `Timestamp`, strictly
increasing per portfolio. The spec gives `Timestamp` no unit, so the sandbox makes it a
row version (a counter, not a clock): a client that converted a time into it would
miss every change here, as it might at PropertyMe. Archiving a lot sets `IsArchived` and
`ArchivedOn`; /v1/lots then leaves it out and /v1/lots/archived lists it.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pms_pipelines.integrations.kit.sandbox_server import parse_time

Record = dict[str, Any]
# The endpoint a fixture file lists each collection under (archived lots: their own list).
FIXTURE_KEYS = {"lots": "/v1/lots", "contacts": "/v1/contacts", "tenancies": "/v1/tenancies"}
ARCHIVED_KEY = "/v1/lots/archived"
FIXTURE_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)
ACCESS_TOKEN_SECONDS = 3600


def iso(moment: datetime) -> str:
    """PropertyMe's date-time format (UTC, `Z`), to the microsecond."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class AgencyStore:
    agency_id: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)  # the one valid refresh token; rotated on use
    access_tokens: dict[str, float] = field(default_factory=dict, repr=False)  # → expiry
    records: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {name: {} for name in FIXTURE_KEYS})
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    last_stamp: int = 0

    def put(self, collection: str, record: Record, at: datetime) -> Record:
        """Insert or replace a record and stamp it as changed at `at`."""
        with self.lock:
            self.last_stamp += 1
            stamp = self.last_stamp
            record["UpdatedOn"] = iso(at)
            if collection != "tenancies":  # TenancyApiData carries no Timestamp
                record["Timestamp"] = stamp
            self.records[collection][record["Id"]] = record
            return record

    def archive(self, collection: str, record_id: str, at: datetime) -> Record:
        with self.lock:
            record = self.records[collection][record_id]
            record.update(IsArchived=True, ArchivedOn=iso(at))
            return self.put(collection, record, at)

    def select(self, collection: str, where: Any = None) -> list[Record]:
        """Records in change order (then id), as PropertyMe lists changed records."""
        with self.lock:
            rows = [copy.deepcopy(r) for r in self.records[collection].values()
                    if where is None or where(r)]
        return sorted(rows, key=lambda r: (r.get("Timestamp") or 0, r.get("UpdatedOn") or "",
                                           r["Id"]))

    def rotate(self, presented: str) -> str | None:
        """Swap a valid refresh token for a new one; None when it is not the valid one."""
        with self.lock:
            if not secrets.compare_digest(presented, self.refresh_token):
                return None
            self.refresh_token = secrets.token_urlsafe(32)
            return self.refresh_token

    def authorise(self) -> str:
        """A fresh authorisation: a new refresh token replaces whatever chain was valid."""
        with self.lock:
            self.refresh_token = secrets.token_urlsafe(32)
            return self.refresh_token


def load_fixture(store: AgencyStore, path: str | Path) -> AgencyStore:
    """Fill a store from a JSON file keyed by endpoint path, each value being exactly that
    endpoint's response body (a JSON array of PropertyMe records)."""
    document = json.loads(Path(path).read_text())
    unknown = set(document) - {*FIXTURE_KEYS.values(), ARCHIVED_KEY, "_comment"}
    if unknown:
        raise ValueError(f"fixture {path}: unknown endpoints {sorted(unknown)}")
    for collection, endpoint in FIXTURE_KEYS.items():
        items = document.get(endpoint, [])
        if collection == "lots":
            items = items + [dict(r, IsArchived=True) for r in document.get(ARCHIVED_KEY, [])]
        for record in items:
            record = copy.deepcopy(record)
            stamp, change = record.get("UpdatedOn"), record.get("Timestamp")
            store.put(collection, record, parse_time(stamp) if stamp else FIXTURE_TIME)
            if stamp:
                record["UpdatedOn"] = stamp  # keep the fixture's own values
            if change:
                record["Timestamp"] = change
                store.last_stamp = max(store.last_stamp, change)
    return store
