"""The conformance suite's vendor-spec fuzz: every registered integration, every entity,
full and incremental, pulled from a stand-in vendor whose every answer is generated from
the vendor's own published response schema (spec_responses.py; optional fields omitted,
nulls, extremes, unicode, unknown fields, empty and short pages, any totals and page
counts, and now and then pages as full as asked so that the next page is asked for),
with no test code of the integration's own. For each pull:

- it ends with events and rejections, or with a clear `PmsApiError`, never anything
  else (a `KeyError` on an optional id, an `OverflowError` on an extreme amount);
- paging ends: once the stand-in's pages are empty (after `ENDS_AFTER` answers), the
  pull stops by itself, within `MAX_REQUESTS` requests in all;
- every rejection keeps its reason and the provider's bytes; every event is of the
  entity asked for;
- nothing is silently dropped: the records read from the entity's own collections
  equal its events plus its rejections plus the records its feed skipped with a declared
  reason (kit/ledger.py), exactly;
- every generated answer is valid under the spec's own validator (spec_check.py), so a
  failure here is the client's, not the generator's.

The vendors' specs stay outside the repository: where they are absent these tests skip,
saying so. `make test` runs a bounded number of examples per integration and entity;
`make reliability-report` runs many more (PMS_FUZZ_EXAMPLES) and reports the row
"vendor-spec fuzz".
"""

from __future__ import annotations

import json
import secrets
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pms_pipelines.canonical import Event
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit import PmsApiError, PullRequest, Rejected
from pms_pipelines.integrations.kit import paging, rest
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines_tests.integrations.generated_vendor import (
    Answer,
    PendingRequest,
    converse,
    generated_vendor,
)
from pms_pipelines_tests.integrations.spec_check import Spec, schema_errors, load_spec
from pms_pipelines_tests.integrations.spec_responses import body_strategy, success_answer
from pms_pipelines_tests.reliability import figures

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Generating overly large repr")]

# Every collection ends: after this many answers the stand-in serves its pages empty (as
# generated otherwise), and a pull must then stop by itself, within MAX_REQUESTS in all.
# (A total or page count drawn huge keeps a client paging, rightly, until an empty page.)
ENDS_AFTER = 30
MAX_REQUESTS = 100
FULL_PAGES = 3  # full pages a pull may be served
FAST = RetryPolicy(max_attempts=2, base_delay_s=0.001, max_delay_s=0.002)
EXAMPLES = figures.fuzz_examples(default=8, share=1 / 8)  # per integration and entity
CASES = [(name, entity) for name in sorted(REGISTRY) for entity in REGISTRY[name].entities]
TALLY: Counter = Counter()


def _answer(spec: Spec, draw: st.DataObject) -> Callable[[PendingRequest], Answer]:
    full_pages = answered = 0

    def answer(request: PendingRequest) -> Answer:
        nonlocal full_pages, answered
        answered += 1
        url = urlsplit(request.path)
        documented = success_answer(spec, request.method, url.path)
        raw = b""
        if documented.body is not None:
            body = draw.draw(body_strategy(documented.body), label=url.path)
            problems = schema_errors(spec, documented.spec_schema, json.dumps(body).encode())
            assert not problems, f"generated an answer the spec refuses: {problems}"
            records = _records(body)
            # Now and then a page as full as asked (or one more): the paging that follows
            # a full page is fuzzed too. Its records repeat the generated ones, so it stays
            # valid; at most FULL_PAGES a pull, so a pull still ends.
            if records and answered > ENDS_AFTER:
                records.clear()
            elif (records and full_pages < FULL_PAGES
                    and draw.draw(st.booleans(), label="a full page")):
                full_pages += 1
                size = _asked_page_size(url.query) + draw.draw(st.integers(0, 1))
                records[:] = [records[i % len(records)] for i in range(size)]
            raw = json.dumps(body).encode()
            TALLY["records served"] += len(records or ())
        headers = {name: str(draw.draw(body_strategy(schema), label=name))
                   for name, schema in documented.headers.items()}
        TALLY["answers"] += 1
        return Answer(documented.status, raw, headers)

    return answer


def _records(body: object) -> list | None:
    """The answer's first list (a page's records, whatever the envelope), to change in
    place; None if it has none."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for value in body.values():
            found = _records(value) if isinstance(value, (list, dict)) else None
            if found is not None:
                return found
    return None


def _asked_page_size(query: str) -> int:
    """The page size the request asked for (a `limit`/`pageSize` parameter), else 100."""
    for name, value in parse_qsl(query):
        if ("limit" in name.lower() or "size" in name.lower()) and value.isdigit():
            return min(int(value), 5000)
    return 100


class _InlineExecutor:
    """A thread pool that runs each task at once on the caller's thread."""

    def __init__(self, *_args: object) -> None:
        pass

    def submit(self, task: Callable, *args: object) -> Future:
        done: Future = Future()
        try:
            done.set_result(task(*args))
        except BaseException as error:  # noqa: BLE001 - delivered through the future
            done.set_exception(error)
        return done

    def shutdown(self, **_kw: object) -> None:
        pass


@pytest.fixture
def one_request_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kit asks ahead for pages in threads (read-ahead, pages in flight); with two
    requests open at once their order of arrival, and so the order of Hypothesis' draws,
    would change from run to run, which Hypothesis refuses as flaky. What is fuzzed here
    is the content of the answers, so the clients ask one request at a time."""
    monkeypatch.setattr(paging, "ThreadPoolExecutor", _InlineExecutor)
    monkeypatch.setattr(rest, "read_ahead", lambda pages, _name: pages)


@pytest.mark.usefixtures("one_request_at_a_time")
@pytest.mark.parametrize(("name", "entity"), CASES, ids=[f"{n}-{e}" for n, e in CASES])
def test_a_pull_survives_any_spec_valid_answer(name: str, entity: str) -> None:
    integration = REGISTRY[name]
    spec = load_spec(integration.spec_file or "")
    if spec is None:
        pytest.skip(f"{integration.spec_file} not found (../shared/pms_specs or "
                    "PMS_SPECS_DIR): the vendor-spec fuzz needs the vendor's spec")
    credentials = {f: f"{f}-{secrets.token_hex(4)}" for f in integration.credential_fields}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data(), st.sampled_from([None, datetime(2020, 1, 1, tzinfo=UTC)]))
    def one_pull(draw: st.DataObject, since: datetime | None) -> None:
        with generated_vendor() as (port, pending):
            request = PullRequest(
                agency_id="fuzz", entity=entity,
                base_url=f"http://127.0.0.1:{port}{spec.base_path}",
                credentials=dict(credentials), since=since,
                observed_at=datetime.now(UTC), policy=FAST,
                save_credentials=lambda _c: None)
            talk = converse(pending, lambda: list(integration.pull(request)),
                            _answer(spec, draw), MAX_REQUESTS)
        TALLY["pulls"] += 1
        TALLY["requests"] += len(talk.requests)
        if talk.error is not None:
            TALLY["ended with PmsApiError" if isinstance(talk.error, PmsApiError)
                  else "crashed"] += 1
            assert isinstance(talk.error, PmsApiError), "".join(
                traceback.format_exception(talk.error))
            assert str(talk.error) and len(str(talk.error)) < 1000
        else:
            items = talk.outcome
            rejected = [i for i in items if isinstance(i, Rejected)]
            events = [i for i in items if isinstance(i, Event)]
            TALLY["events"] += len(events)
            TALLY["rejections"] += len(rejected)
            assert len(events) + len(rejected) == len(items)
            assert all(r.reason and r.raw and r.entity == entity for r in rejected)
            assert all(e.entity == entity for e in events)
            ledger = request.ledger
            TALLY["records read"] += ledger.read[entity]
            TALLY["skipped"] += sum(ledger.skipped.values())
            unaccounted = ledger.unaccounted(entity, len(items))
            TALLY["unaccounted"] += abs(unaccounted)
            assert unaccounted == 0, (
                f"{ledger.read[entity]} {entity} records read, {len(events)} events, "
                f"{len(rejected)} rejections, skipped {dict(ledger.skipped)}")
        assert not talk.cut_off, f"paging did not end: {talk.requests[:5]}…"

    one_pull()


def test_vendor_spec_fuzz_figures() -> None:
    """The report's row, from the pulls above (run in the same session)."""
    if not TALLY["pulls"]:
        pytest.skip("no vendor-spec fuzz ran (specs absent or deselected)")
    figures.record(
        "vendor-spec fuzz", events=TALLY["records served"], faults=TALLY["answers"],
        lost=TALLY["crashed"] + TALLY["unaccounted"], duplicated=0,
        dead_lettered=TALLY["rejections"],
        note=(f"{len(CASES)} integration-entity pairs x {EXAMPLES} examples = "
              f"{TALLY['pulls']} pulls, {TALLY['requests']} requests answered with "
              f"{TALLY['records served']} generated records; of the pulled entities' "
              f"own, {TALLY['records read']} read = {TALLY['events']} events + "
              f"{TALLY['rejections']} kept rejections + {TALLY['skipped']} skipped "
              f"with a declared reason ({TALLY['unaccounted']} unaccounted); "
              f"{TALLY['ended with PmsApiError']} pulls ended with a PmsApiError, "
              f"{TALLY['crashed']} crashed"))
    assert TALLY["crashed"] == TALLY["unaccounted"] == 0
