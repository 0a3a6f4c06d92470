"""One agency's data in the kit's sandbox: records per collection exactly as the vendor
returns them, stamped on every save as the declaration says.

A field whose name starts with `__` is the sandbox's own (a time the vendor filters on
but does not return, say): it is kept with the record and never served (`served`)."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Record, SandboxApi


@dataclass
class AgencyStore:
    api: SandboxApi = field(repr=False)
    agency_id: str
    credentials: dict[str, str] = field(repr=False)
    records: dict[str, dict[Any, Record]] = field(default_factory=dict, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    next_id: int = 1
    last_stamp: int = 0  # for vendors whose change stamp is a counter (a row version)
    variants: float = 0.0  # the share of records served varied (kit/sandbox_variants.py)
    # Where its changes are notified (kit/sandbox_webhooks.py), how notices name it,
    # and the secret they are signed with where the vendor signs per agency.
    outbox: Any = field(default=None, repr=False)
    webhook_account: str = ""
    webhook_secret: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        for collection in self.api.collections:
            self.records.setdefault(collection.name, {})

    def put(self, collection: str, record: Record, at: datetime | None = None) -> Record:
        """Insert or replace a record; with `at`, stamp it saved then, as the vendor does."""
        declared = next(c for c in self.api.collections if c.name == collection)
        with self.lock:
            if at is not None:
                declared.stamp(record, at, self)
            key = record[declared.id_field]
            created = key not in self.records[collection]
            self.records[collection][key] = record
            if isinstance(key, int):
                self.next_id = max(self.next_id, key + 1)
            if at is not None:
                self._notify(collection, key, record, at, created=created, removed=False)
            return record

    def remove(self, collection: str, record_id: Any, at: datetime | None = None) -> None:
        with self.lock:
            record = self.records[collection].pop(record_id, None)
            if record is not None and at is not None:
                self._notify(collection, record_id, None, at, created=False, removed=True)

    def _notify(self, collection: str, key: Any, record: Record | None, at: datetime, *,
                created: bool, removed: bool) -> None:
        if self.outbox is not None:
            self.outbox.changed(self.webhook_account, self.webhook_secret, collection, key,
                                record, at, created=created, removed=removed)

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id - 1

    def next_stamp(self) -> int:
        with self.lock:
            self.last_stamp += 1
            return self.last_stamp

    def matching(self, collection: str, where: Callable[[Record], bool]) -> list[Record]:
        """Matching records in id order: the stored ones, not copies, so the caller holds
        `lock` until it has encoded them (paging a big collection copies nothing)."""
        return [r for _, r in sorted(self.records[collection].items()) if where(r)]


def load_fixture(store: AgencyStore, path: str | Path, *, unstamped: datetime) -> AgencyStore:
    """Fill a store from a JSON file keyed by collection path, each value being exactly
    that endpoint's response body (a list of records). Each record is stamped at the
    time it carries (the collection's `stamped_at`), else at `unstamped`; the fixture's
    own values stay as they are."""
    document = json.loads(Path(path).read_text())
    paths = {c.path: c for c in store.api.collections}
    unknown = set(document) - set(paths) - {"_comment"}
    if unknown:
        raise ValueError(f"fixture {path}: unknown endpoints {sorted(unknown)}")
    for endpoint, records in document.items():
        if endpoint == "_comment":
            continue
        collection = paths[endpoint]
        for record in records:
            record = {**copy.deepcopy(record), **collection.fixture_marks}
            stamped = copy.deepcopy(record)
            collection.stamp(stamped, collection.stamped_at(record) or unstamped, store)
            store.put(collection.name, {**stamped, **record})
            counter = record.get(collection.counter_field or "")
            if isinstance(counter, int):
                store.last_stamp = max(store.last_stamp, counter)
    return store
