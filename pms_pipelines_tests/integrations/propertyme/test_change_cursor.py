"""PropertyMe's incremental filter is the highest `Timestamp` the last successful pull
saw, never a conversion of our clock: an update is pulled once, neither missed nor
pulled forever, and a failed pull leaves the marker where it was. Real pulls through
`pull_and_publish` against the sandbox (whose stamps are a row version, not a clock)."""

from __future__ import annotations

import pytest

from pms_pipelines.db import watermarks
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit import PmsApiError
from pms_pipelines.integrations.kit.cursor import ChangeCursor
from pms_pipelines.pulls.pull_and_publish import PullReport, pull_and_publish
from pms_pipelines.aws import kinesis_client

PROPERTYME = REGISTRY["propertyme"]


def _pull(sandbox, db_conn, stream: str, entity: str, *, full: bool,
          wrong_secret: bool = False) -> PullReport:
    running, creds = sandbox
    credentials = {**creds, "client_secret": "wrong"} if wrong_secret else creds
    return pull_and_publish(
        PROPERTYME, agency_id="a", entity=entity, credentials=credentials,
        base_url=running.base_url,
        conn=db_conn, kinesis=kinesis_client(), stream=stream, full=full,
        save_credentials=creds.update)


def _stored(db_conn, entity: str) -> str | None:
    return watermarks.read_change_cursor(db_conn, "propertyme", "a", entity)


def _highest_stamp(sandbox, collection: str) -> int:
    return max(r["Timestamp"] for r in sandbox[0].store("a").records[collection].values())


@pytest.mark.integration
@pytest.mark.parametrize("entity, collection", [("property", "lots"), ("tenant", "contacts")])
def test_an_update_is_pulled_once_never_missed(sandbox, kinesis_stream, db_conn,
                                               entity: str, collection: str) -> None:
    full = _pull(sandbox, db_conn, kinesis_stream, entity, full=True)
    assert full.pulled > 1
    assert _stored(db_conn, entity) == str(_highest_stamp(sandbox, collection))

    quiet = _pull(sandbox, db_conn, kinesis_stream, entity, full=False)
    assert (quiet.read, quiet.pulled) == (0, 0)  # nothing changed: nothing read again

    sandbox[0].touch("a", entity)
    changed = _pull(sandbox, db_conn, kinesis_stream, entity, full=False)
    assert (changed.read, changed.published) == (1, 0)  # same content: read, not sent
    assert _stored(db_conn, entity) == str(_highest_stamp(sandbox, collection))
    assert _pull(sandbox, db_conn, kinesis_stream, entity, full=False).read == 0

    # A failing pull stores nothing: the update made meanwhile comes with the next one.
    sandbox[0].touch("a", entity)
    before = _stored(db_conn, entity)
    with pytest.raises(PmsApiError):
        _pull(sandbox, db_conn, kinesis_stream, entity, full=False, wrong_secret=True)
    db_conn.rollback()
    assert _stored(db_conn, entity) == before
    again = _pull(sandbox, db_conn, kinesis_stream, entity, full=False)
    assert again.read == 1


def test_the_cursor_keeps_the_highest_usable_stamp() -> None:
    cursor = ChangeCursor(stored="41")
    assert cursor.stored_int() == 41
    for value in (7, None, True, -5, "99", 3.5, 2**63 - 1, 12):
        cursor.saw_int(value)
    assert cursor.found == str(2**63 - 1)
    assert ChangeCursor(stored="not a number").stored_int() is None
    assert ChangeCursor().found is None  # nothing seen: the stored marker is kept
