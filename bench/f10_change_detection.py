"""Figure 10, only real changes travel: what a nightly full pull of an unchanged agency
costs downstream.

One generated Buildium agency (`change_units` units) in the sandbox, pulled in full
through `pull_and_publish` (every entity) and consumed. Then, with nothing changed at
the sandbox, rounds of two full pulls each: the nightly one as it runs now, and one
with `republish` (every record sent, as every full pull did before change detection,
and as an operator's re-sync still does). Each round's order alternates, and each is
timed. Then the consumer reads everything after the first load: all of it is the same
content at newer versions, so no row may be written.

- 10a events a nightly full pull of the unchanged agency publishes (target 0; the
  baseline is what the same pull publishes with `republish`);
- 10b rows the consumer writes re-consuming that identical content (target 0; the
  baseline is the records it read);
- 10c wall time of the nightly full pull against the republishing one (median of the
  rounds; target ratio ≤ 1).
"""

from __future__ import annotations

import statistics

from bench.common import Figure, Sizes, Stack, Timer, sandbox_agencies
from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.buildium.sandbox import start_sandbox
from pms_pipelines.pulls.pull_and_publish import pull_and_publish
from pms_pipelines.stream.reader import list_shards

ROUNDS = 3


def run(stack: Stack, sizes: Sizes) -> list[Figure]:
    integration = REGISTRY["buildium"]
    agency = sandbox_agencies(1, sizes.change_units, "f10")[0]
    credentials = {"client_id": agency["client_id"], "client_secret": agency["client_secret"]}
    sandbox = start_sandbox([agency], rate_limit_per_s=None)
    stream = stack.new_stream(1, "f10")
    kinesis = kinesis_client()
    (shard,) = [s["ShardId"] for s in list_shards(kinesis, stream)]

    def full_pull(conn, republish: bool) -> tuple[int, float]:
        """(events published, seconds) of a full pull of every entity."""
        published = 0
        with Timer() as timer:
            for entity in integration.entities:
                report = pull_and_publish(
                    integration, agency_id=agency["agency_id"], entity=entity,
                    credentials=credentials, base_url=sandbox.base_url, conn=conn,
                    kinesis=kinesis, stream=stream, full=True, republish=republish)
                published += report.published
        return published, timer.seconds

    try:
        with connect(stack.new_database("f10")) as conn:
            first, _ = full_pull(conn, republish=False)
            loaded_first = consume_shard(kinesis, conn, stream, shard).loaded
            nightly: list[tuple[int, float]] = []
            everything: list[tuple[int, float]] = []
            for i in range(ROUNDS):
                for republish in ((False, True) if i % 2 == 0 else (True, False)):
                    (everything if republish else nightly).append(full_pull(conn, republish))
            again = consume_shard(kinesis, conn, stream, shard)
    finally:
        sandbox.stop()

    nightly_published = max(n for n, _ in nightly)
    republished = statistics.median(n for n, _ in everything)
    nightly_s = statistics.median(s for _, s in nightly)
    republish_s = statistics.median(s for _, s in everything)
    details = {"units": sizes.change_units, "first_pull_published": first,
               "first_load_rows": loaded_first, "rounds": ROUNDS,
               "nightly": [{"published": n, "seconds": s} for n, s in nightly],
               "republish": [{"published": n, "seconds": s} for n, s in everything],
               "reconsumed_records": again.records, "reconsumed_rows_written": again.loaded,
               "reconsumed_stale": again.stale}
    return [
        Figure("10a", f"full pull of an unchanged {sizes.change_units}-unit agency: events "
               "published", float(nightly_published), "events", baseline=republished,
               baseline_name="same pull, republish", target="0", target_op="<=",
               target_value=0.0, compare="ours", details=details,
               notes=f"worst of {ROUNDS} nightly pulls; the first full pull published {first}"),
        Figure("10b", "re-consuming identical content at newer versions: rows written",
               float(again.loaded), "rows", baseline=float(again.records),
               baseline_name="records re-consumed", target="0", target_op="<=",
               target_value=0.0, compare="ours", details=details,
               notes=f"{again.stale} stale of {again.records} read; first load wrote "
                     f"{loaded_first} rows"),
        Figure("10c", f"nightly full pull of an unchanged {sizes.change_units}-unit agency: "
               "wall time", nightly_s, "s", baseline=republish_s,
               baseline_name="same pull, republish", target="≤ 1", target_op="<=",
               target_value=1.0, details=details,
               notes=f"median of {ROUNDS} each, order alternating"),
    ]
