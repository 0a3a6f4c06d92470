"""An error body the kit does not know never reaches an error text: PropertyMe documents
the 400 of /v1/contacts ("Invalid timestamp value") as a list of contacts, so a pull
failing on it must say the status and the body's size, not whose data it held."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from pms_pipelines.integrations.kit import PmsApiError, PullRequest
from pms_pipelines.integrations.propertyme.pull import pull
from pms_pipelines.integrations.propertyme.sandbox import RunningSandbox
from pms_pipelines_tests.integrations.propertyme.conftest import FAST



def contacts_as_a_400(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The sandbox answers /v1/contacts; the client is handed its body with status 400,
    the documented error schema (`List<MobContactData>`). Returns the bodies served."""
    send, served = requests.Session.send, []

    def answer(session: requests.Session, prepared: requests.PreparedRequest, **kw: Any):
        response = send(session, prepared, **kw)
        if (prepared.url or "").split("?")[0].endswith("/v1/contacts"):
            response.status_code = 400
            served.append(response.content)
        return response

    monkeypatch.setattr(requests.Session, "send", answer)
    return served


def personal_values(contacts: list[dict[str, Any]]) -> set[str]:
    """Every text of length 4 or more a contact holds, at any depth."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and len(node) >= 4:
            found.add(node)

    walk(contacts)
    return found


def test_a_contacts_list_as_an_error_body_is_never_copied(
    sandbox: tuple[RunningSandbox, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, creds = sandbox
    served = contacts_as_a_400(monkeypatch)
    req = PullRequest(agency_id="a", entity="tenant", base_url=running.base_url,
                      credentials=creds, since=None, observed_at=datetime.now(timezone.utc),
                      policy=FAST)
    with pytest.raises(PmsApiError) as raised:
        list(pull(req))
    text = str(raised.value)
    assert raised.value.status == 400 and len(served) == 1
    assert "HTTP 400" in text and f"({len(served[0])}-byte body)" in text
    assert "no error fields the kit knows in a JSON array" in text
    leaked = [v for v in personal_values(json.loads(served[0])) if v in text]
    assert not leaked, leaked
