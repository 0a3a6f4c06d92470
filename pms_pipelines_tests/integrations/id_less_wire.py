"""Responses without ids, as the vendors' specs allow them: a stand-in for
`requests.Session.send` that lets the sandbox answer, then takes every id field (`id`,
`Id`, and foreign keys such as `LeaseId`, `propertyId`, `buildingID`) off the first
record of each page of records. Every id in the four vendor specs is optional, so what
the client sees is still a spec-valid response.
"""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from pms_pipelines_tests.integrations.wire_tap import WireTap

# `id` in any case, or a camel-case name ending in Id/ID (`LeaseId`, `buildingID`), but
# not a word that merely ends in "id" (`Paid`).
ID_KEY = re.compile(r"^(?:[iI][dD]|.*[a-z0-9][I][dD])$")


def strip_ids(record: dict[str, Any]) -> bool:
    """Take the id fields off `record`; True when it had any."""
    keys = [k for k in record if ID_KEY.match(k)]
    for key in keys:
        del record[key]
    return bool(keys)


def first_records(body: Any) -> list[dict[str, Any]]:
    """The first record of each record list in a body: the body itself when it is a list,
    else any top-level list of objects (Reapit's `_embedded`)."""
    lists = [body] if isinstance(body, list) else [
        v for v in body.values() if isinstance(v, list)] if isinstance(body, dict) else []
    return [records[0] for records in lists if records and isinstance(records[0], dict)]


class IdLessWire(WireTap):
    """Installs itself over `requests.Session.send`; counts the records it stripped."""

    def __init__(self) -> None:
        super().__init__()
        self.stripped = 0

    def send(self, session: requests.Session, prepared: requests.PreparedRequest, **kw: Any):
        response = self.forward(session, prepared, **kw)
        if prepared.method != "GET" or response.status_code != 200:
            return response
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        changed = [strip_ids(record) for record in first_records(body)]
        if any(changed):
            self.stripped += sum(changed)
            response._content = json.dumps(body).encode()
        return response
