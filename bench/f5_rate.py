"""Figure 5, PMS pull: requests/s against a sandbox enforcing Buildium's documented limit.

The Buildium sandbox answers 429 above 10 requests/s per API key, as Buildium documents.
A full pull of every entity of one agency runs through the real client (its own limiter
at Buildium's 10/s, pages of `rate_pull_page_size` so the pull makes enough requests to
be paced). Ours: requests answered / seconds; baseline: the documented 10/s. Zero
requests may be rejected for rate (429s counted by the sandbox).
"""

from __future__ import annotations

from bench.common import Figure, Sizes, Stack, Timer, pull_agency_events, sandbox_agencies
from pms_pipelines.integrations.buildium.client import RATE_LIMIT_PER_S
from pms_pipelines.integrations.buildium.sandbox import start_sandbox


def run(stack: Stack, sizes: Sizes) -> Figure:
    agency = sandbox_agencies(1, sizes.rate_pull_units, "f5")[0]
    sandbox = start_sandbox([agency], rate_limit_per_s=RATE_LIMIT_PER_S)
    try:
        with Timer() as timer:
            events = pull_agency_events(sandbox.base_url, agency,
                                        rate_limit_per_s=RATE_LIMIT_PER_S,
                                        page_size=sizes.rate_pull_page_size)
        counts = dict(sandbox.state.counts)
    finally:
        sandbox.stop()
    requests = sum(counts.values())
    rejected = counts.get("429", 0)
    return Figure(
        "5", "PMS pull: requests/s at Buildium's 10/s limit", requests / timer.seconds,
        "req/s", baseline=RATE_LIMIT_PER_S, baseline_name="documented limit",
        target="≥ 0.9, zero 429s", target_value=0.9,
        extra_checks={"zero rejected for rate": rejected == 0},
        details={"requests": requests, "status_counts": counts, "seconds": timer.seconds,
                 "events": len(events), "rejected_for_rate": rejected},
        notes=f"{rejected} requests rejected for rate",
    )
