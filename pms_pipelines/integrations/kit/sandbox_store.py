"""One agency's data in the kit's sandbox: records per collection exactly as the vendor
returns them, stamped on every save as the declaration says."""

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

    def __post_init__(self) -> None:
        for collection in self.api.collections:
            self.records.setdefault(collection.name, {})

    def put(self, collection: str, record: Record, at: datetime | None = None) -> Record:
        """Insert or replace a record; with `at`, stamp it saved then, as the vendor does."""
        declared = next(c for c in self.api.collections if c.name == collection)
        with self.lock:
            if at is not None:
                declared.stamp(record, at)
            key = record[declared.id_field]
            self.records[collection][key] = record
            if isinstance(key, int):
                self.next_id = max(self.next_id, key + 1)
            return record

    def remove(self, collection: str, record_id: Any) -> None:
        with self.lock:
            self.records[collection].pop(record_id, None)

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id - 1

    def select(self, collection: str, where: Callable[[Record], bool]) -> list[Record]:
        """Matching records in id order, as copies (a response must not alias the store)."""
        with self.lock:
            return [copy.deepcopy(r) for _, r in sorted(self.records[collection].items())
                    if where(r)]


def load_fixture(store: AgencyStore, path: str | Path, *,
                 unstamped: datetime | None = None) -> AgencyStore:
    """Fill a store from a JSON file keyed by collection path, each value being exactly
    that endpoint's response body (a list of records). A record is stamped at
    `unstamped` only when it carries no stamp of its own (the fixture's values stay)."""
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
            record = copy.deepcopy(record)
            if unstamped is not None:
                stamped = dict(record)
                collection.stamp(stamped, unstamped)
                record = {**stamped, **record}  # the fixture's own values win
            store.put(collection.name, record)
    return store
