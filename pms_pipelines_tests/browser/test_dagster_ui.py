"""The Dagster UI of the local stack, seen in headless Chromium as a person sees it: every
asset group, the consumer sensor's ticks, a materialization's metadata plotted, a lake
check's result, a backfill of one agency launched through GraphQL that completes, and
the health view showing an agency registered with wrong credentials as failing and
every other agency as healthy.

Screenshots go to .browser_screenshots/ (gitignored); their paths are printed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from selenium.webdriver.common.by import By

from pms_pipelines.canonical import ENTITIES
from pms_pipelines.definitions import defs
from pms_pipelines.defs.consume_assets import rds_table_key
from pms_pipelines.defs.consumer_sensor import consumer_sensor
from pms_pipelines.defs.health_checks import HEALTH_JOB
from pms_pipelines.defs.health_view import HEALTH_KEY
from pms_pipelines.defs.lake_assets import lake_key
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.pulls import names
from pms_pipelines.lake.checks import CHECKS
from pms_pipelines.local_stack.stack import AGENCIES
from pms_pipelines_tests.browser.chromium import MISSING, Page, binaries, chromium
from pms_pipelines_tests.browser.dagster_dev import ROOT, DagsterDev, dagster_dev
from pms_pipelines_tests.browser.graphql import (
    launch_asset_backfill,
    launch_job,
    runs_of,
    wait_for_backfill,
    wait_for_run,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SHOTS = ROOT / ".browser_screenshots"
# One small agency per PMS and no incremental pulls during the test: the agency sensor's
# first full pulls, the consume runs, the backfill and the lake run are work enough for
# two cores.
AGENCY = AGENCIES[0]
# An agency of the first PMS registered (without the access check) with credentials its
# sandbox refuses: its pulls fail, and the health view must say so.
WRONG = "wrong-credentials"
WRONG_PMS = sorted(REGISTRY)[0]
WRONG_CREDS = "PMS_CRED_BROWSER_WRONG"
STACK_ENV = {"PMS_INCREMENTAL_CRON": "0 0 1 1 *",
             **{f"{WRONG_CREDS}_{f.upper()}": "not-the-secret"
                for f in REGISTRY[WRONG_PMS].credential_fields}}


@pytest.fixture(scope="module")
def browser_binaries() -> tuple[str, str]:
    found = binaries()
    if found is None:
        pytest.skip(MISSING)
    return found


@pytest.fixture(scope="module")
def stack(browser_binaries: tuple[str, str]) -> Iterator[DagsterDev]:
    with dagster_dev(SHOTS / "dagster-dev.log", agencies=(AGENCY,), units=40, env=STACK_ENV,
                     timeout_s=180) as dev:
        yield dev


@pytest.fixture(scope="module")
def page(browser_binaries: tuple[str, str], stack: DagsterDev) -> Iterator[Page]:
    for old in SHOTS.glob("*.png"):  # only this run's pictures
        old.unlink()
    with chromium(*browser_binaries) as browser:
        yield Page(browser, stack.url, SHOTS)


def _group_boxes(browser) -> set[str]:  # noqa: ANN001 - a WebDriver
    """The names on the asset graph's group boxes (the first line of each box)."""
    return {e.text.split("\n")[0] for e in browser.find_elements(By.CSS_SELECTOR, "svg foreignObject")}


def asset_path(key) -> str:  # noqa: ANN001 - an AssetKey
    return "/assets/" + "/".join(key.path)


@pytest.mark.timeout(660)
def test_dagster_ui(stack: DagsterDev, page: Page, capsys: pytest.CaptureFixture) -> None:
    started = time.monotonic()
    specs = list(defs.resolve_all_asset_specs())
    pms = sorted(REGISTRY)[0]
    agency = AGENCY
    # Launched first: it waits in the run queue behind the agency sensor's first pulls.
    backfill_id = launch_asset_backfill(
        stack.url, [s.key.path for s in specs if s.group_name == pms], [agency],
        tags={"pms/agency": f"{pms}/{agency}"},
    )
    # An operator job: it starts ahead of the queued pulls; the agency sensor then pulls.
    register = launch_job(stack.url, stack.location, "ops_register_agency", {"ops": {
        "register_agency": {"config": {
            "pms": WRONG_PMS, "agency_id": WRONG, "display_name": "Wrong credentials",
            "credentials_ref": f"env:{WRONG_CREDS}", "check": False}}}})

    # 1. The consumer sensor ticks, and a tick asked for consume runs once pulls published.
    page.open(f"/locations/{stack.location}/sensors/{consumer_sensor.name}")
    page.wait_for_text("a consumer_sensor tick that requested runs",
                       r"\b[1-9]\d* runs? requested", timeout_s=180, reload_every_s=30)
    page.screenshot("consumer-sensor-ticks")

    # 2. A consume run materialized an RDS table; its numeric metadata is plotted.
    page.open(asset_path(rds_table_key(ENTITIES[0])))
    page.wait_for_text("a latest materialization with its metadata",
                       r"Latest materialization\n(?!Never).*[\s\S]*records_in_run",
                       timeout_s=120, reload_every_s=20)
    page.click_button("Plots")
    plots = page.wait_for("the metadata plots (charts) under Metadata",
                          lambda b: b.find_elements(By.CSS_SELECTOR, "canvas[role=img]"), 30)
    page.browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", plots[0])
    page.wait_for_text("a plot titled records_in_run", r"\nrecords_in_run\n", timeout_s=10)
    page.screenshot("rds-metadata-plots")

    # 3. The lake compaction of today (after that consume) evaluates its checks; the
    # schema and masking checks pass whatever else the stack is still doing.
    today = datetime.now(UTC).date().isoformat()
    lake_backfill = launch_asset_backfill(
        stack.url, [lake_key(e).path for e in ENTITIES], [today], tags={})
    lake = wait_for_backfill(stack.url, lake_backfill, timeout_s=180)
    assert lake["status"] == "COMPLETED_SUCCESS", f"lake compaction of {today}: {lake}"
    page.open(asset_path(lake_key(ENTITIES[0])) + "?view=checks")
    statuses = page.wait_for_text(
        f"a result for each lake check {CHECKS}",
        r"".join(rf"(?=[\s\S]*?\n{name}\n(\w+))" for name in CHECKS), timeout_s=60,
        reload_every_s=15)
    results = dict(zip(CHECKS, statuses.groups()))
    assert results["schema_matches"] == "Succeeded" and results["masked"] == "Succeeded", results
    page.screenshot("lake-checks")

    # 4. The backfill of one agency's partitions completed, every run a success.
    backfill = wait_for_backfill(stack.url, backfill_id, timeout_s=240)
    assert backfill["status"] == "COMPLETED_SUCCESS", f"backfill of {pms}/{agency}: {backfill}"
    assert backfill["runs"] and all(r["status"] == "SUCCESS" for r in backfill["runs"]), backfill
    page.open(f"/runs/b/{backfill_id}")
    page.wait_for_text(f"the {pms}/{agency} backfill shown as succeeded",
                       rf"{agency}[\s\S]*Status\nSucceeded", timeout_s=60, reload_every_s=15)
    page.screenshot("agency-backfill")

    # 5. The health view, refreshed once the wrongly registered agency's pull failed:
    # that agency failing, every other one healthy.
    assert wait_for_run(stack.url, register, timeout_s=60) == "SUCCESS"
    wrong_tag = {names.AGENCY_TAG: names.agency_tag(WRONG_PMS, WRONG)}
    page.wait_for(f"a failed pull of {WRONG_PMS}/{WRONG}", lambda _: any(
        r["status"] == "FAILURE" for r in runs_of(
            stack.url, names.pull_job_name(REGISTRY[WRONG_PMS]), wrong_tag)), timeout_s=180)
    health_run = launch_job(stack.url, stack.location, HEALTH_JOB, {})
    assert wait_for_run(stack.url, health_run, timeout_s=180) == "SUCCESS"
    page.open(asset_path(HEALTH_KEY))
    page.wait_for_text(f"{WRONG_PMS}/{WRONG} failing in the health view",
                       rf"failing\s+{WRONG_PMS}\s+{WRONG}\b", timeout_s=60, reload_every_s=15)
    for name in sorted(REGISTRY):
        page.wait_for_text(f"{name}/{agency} healthy in the health view",
                           rf"healthy\s+{name}\s+{agency}\b", timeout_s=10)
    table = page.wait_for("the agencies table", lambda b: next(iter(b.find_elements(
        By.XPATH, "//td[normalize-space()='summary']")), None), timeout_s=10)
    page.browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", table)
    page.screenshot("health-view")

    # 6. The global asset graph shows a box for every group of the Definitions, each with
    # its assets' statuses (last, so the picture in the README shows them materialized).
    groups = {s.group_name for s in specs}
    assert set(REGISTRY) <= groups, f"a PMS without its asset group: {sorted(groups)}"
    page.open("/asset-groups")
    page.wait_for(
        f"a box for each asset group {sorted(groups)} in the asset graph, statuses loaded",
        lambda b: _group_boxes(b) >= groups and "fetching statuses" not in page.text(),
        timeout_s=90)
    page.screenshot("asset-graph")
    with capsys.disabled():  # shown by a plain `make test` too
        print(f"\nbrowser test: {time.monotonic() - started:.0f}s after the stack was up; "
              f"screenshots: {', '.join(sorted(p.name for p in SHOTS.glob('*.png')))} in {SHOTS}")
