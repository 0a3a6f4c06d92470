"""What is PropertyMe's own: refresh tokens rotated on every use (the used one refused),
kept up with across pulls and a mid-pull 401, saved back; archived lots' paging. (The
Timestamp cursor: test_change_cursor.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import requests

from pms_pipelines.integrations.kit import PmsApiError, ReauthorisationRequired
from pms_pipelines.integrations.kit.paging import OffsetPaging
from pms_pipelines.integrations.kit.refresh_grant import RotatingRefreshGrant, forget_rotations
from pms_pipelines.integrations.propertyme import client as pme_client
from pms_pipelines.integrations.propertyme.client import (
    PROPERTYME_BASE_URL, PROPERTYME_TOKEN_URL, PropertyMeClient, token_url,
)
from pms_pipelines_tests.integrations.propertyme.conftest import FAST



def _token(base_url: str, creds: dict[str, str], refresh: str) -> requests.Response:
    return requests.post(token_url(base_url), timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": refresh,
        "client_id": creds["client_id"], "client_secret": creds["client_secret"]})


def test_the_sandbox_rotates_and_refuses_a_used_refresh_token(sandbox) -> None:
    running, creds = sandbox
    first = _token(running.base_url, creds, creds["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != creds["refresh_token"]
    again = _token(running.base_url, creds, creds["refresh_token"])
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert _token(running.base_url, creds, rotated).status_code == 200


def test_pulls_save_each_rotation_and_follow_it_after_a_401(sandbox) -> None:
    running, creds = sandbox
    saved: list[str] = []
    client = PropertyMeClient(running.base_url, creds, policy=FAST, rate_limit_per_s=None,
                              save_credentials=lambda c: saved.append(c["refresh_token"]))
    assert list(client.lots())
    running.expire_tokens()  # the access token dies mid-pull: 401
    assert list(client.contacts())
    assert len(saved) == 2 and saved[0] != saved[1]
    assert running.store("a").credentials["refresh_token"] == saved[-1]
    # A caller still holding the original token (its save lagged) follows the chain.
    stale = PropertyMeClient(running.base_url, creds, policy=FAST, rate_limit_per_s=None)
    assert list(stale.lots())


def test_a_used_refresh_token_fails_clearly_without_secrets(sandbox) -> None:
    running, creds = sandbox
    assert _token(running.base_url, creds, creds["refresh_token"]).status_code == 200
    forget_rotations()  # a new process that never saw the rotation
    client = PropertyMeClient(running.base_url, creds, policy=FAST, rate_limit_per_s=None,
                              agency_id="a")
    with pytest.raises(ReauthorisationRequired) as raised:
        list(client.lots())
    assert raised.value.status == 400 and "already used" in raised.value.vendor_message
    assert str(raised.value).startswith("propertyme agency 'a' must be re-authorised")
    assert not any(value in str(raised.value) for value in creds.values())
    assert running.store("a").credentials["refresh_token"] not in str(raised.value)


def test_a_wrong_client_secret_is_not_mistaken_for_a_spent_grant(sandbox) -> None:
    running, creds = sandbox
    client = PropertyMeClient(running.base_url, {**creds, "client_secret": "wrong"},
                              policy=FAST, rate_limit_per_s=None, agency_id="a")
    with pytest.raises(PmsApiError) as raised:
        list(client.lots())
    assert not isinstance(raised.value, ReauthorisationRequired)
    assert raised.value.status == 400 and raised.value.vendor_message == "invalid_client"


def test_token_endpoint_for_real_and_local_base_urls() -> None:
    assert token_url(PROPERTYME_BASE_URL) == PROPERTYME_TOKEN_URL
    assert token_url("http://127.0.0.1:9000/api") == "http://127.0.0.1:9000/connect/token"


def test_archived_lots_page_until_a_short_page(sandbox, monkeypatch) -> None:
    running, creds = sandbox
    for _ in range(5):
        running.remove("a", "property")
    small = replace(pme_client.ARCHIVED_LOTS, paginator=OffsetPaging("Offset", "Limit", 2))
    monkeypatch.setattr(pme_client, "ARCHIVED_LOTS", small)
    pages: list[str] = []
    client = PropertyMeClient(running.base_url, creds, policy=FAST, rate_limit_per_s=None,
                              progress=pages.append)
    archived = list(client.archived_lots())
    assert len(archived) == len({a["Id"] for a in archived}) == 5
    assert len(pages) == 3  # 2 + 2 + 1: no total, the short page is the last
    assert list(client.archived_lots(datetime.now(timezone.utc) + timedelta(seconds=5))) == []


def test_an_agency_s_clients_share_one_access_token(sandbox) -> None:
    running, creds = sandbox
    saved: list[str] = []
    for _ in range(3):  # a run's entity pulls, one client each
        client = PropertyMeClient(running.base_url, creds, policy=FAST, rate_limit_per_s=None,
                                  save_credentials=lambda c: saved.append(c["refresh_token"]))
        assert list(client.lots())
    assert len(saved) == 1  # one refresh, so one rotation, for the three


def test_agencies_of_one_application_keep_their_own_tokens() -> None:
    # One application connects many agencies, each with its own refresh token (the
    # sandbox gives each agency its own client id, so this is checked on the grants).
    app = {"client_id": "c", "client_secret": "s"}
    grants = [RotatingRefreshGrant({**app, "refresh_token": r}, "u", None, pms="propertyme",
                                   remedy=pme_client.REAUTHORISE)
              for r in ("r1", "r2", "r1")]
    keys = [grant.key({}) for grant in grants]
    assert keys[0] != keys[1] and keys[0] == keys[2]
