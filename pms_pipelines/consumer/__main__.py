"""Consume from the command line, for scripts and operators: `python -m pms_pipelines.consumer`.

Drains the given shards (default: every shard with work, parents first) of
`PMS_STREAM_NAME` into `PMS_DATABASE_URL`, printing a line per batch. The same code
as the Dagster consume job; without Dagster's run bookkeeping. A shard that fails is
reported on stderr and the others are still consumed; a shard stopped by a retention
gap is reported with what to do. Exit status 1 if any shard failed or has a gap.
"""

from __future__ import annotations

import argparse
import os
import sys

from pms_pipelines.consumer.consume import BATCH_LIMIT, ConsumeReport, consume_shard
from pms_pipelines.consumer.retention import retention_gaps
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db.connection import connect, database_url
from pms_pipelines.aws import kinesis_client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pms_pipelines.consumer")
    parser.add_argument("--shard", action="append", help="shard id (repeatable); default: all")
    parser.add_argument("--max-records", type=int, default=1_000_000)
    parser.add_argument("--batch-limit", type=int, default=BATCH_LIMIT)
    args = parser.parse_args(argv)
    stream = os.environ.get("PMS_STREAM_NAME")
    if not stream:
        parser.error("PMS_STREAM_NAME is not set")
    kinesis = kinesis_client()

    def progress(report: ConsumeReport) -> None:
        print(
            f"{report.shard_id}: {report.records} records ({report.loaded} loaded, "
            f"{report.stale} stale, {report.rejected} rejected), checkpoint {report.checkpoint}",
            flush=True,
        )

    failed: dict[str, str] = {}  # shard -> what went wrong; not tried again this time
    with connect(database_url(), application_name="pms-consumer") as conn:
        gaps = retention_gaps(kinesis, conn, stream)
        if args.shard:
            gaps = {shard: message for shard, message in gaps.items() if shard in args.shard}
        for message in gaps.values():
            print(f"retention gap: {message}", file=sys.stderr, flush=True)
        while True:
            shards = [s for s in args.shard if s not in gaps] if args.shard else \
                shards_to_consume(kinesis, conn, stream, set(failed), 1024)[0]
            for shard_id in shards:
                try:
                    consume_shard(
                        kinesis, conn, stream, shard_id, max_records=args.max_records,
                        batch_limit=args.batch_limit, on_batch=progress,
                    )
                except Exception as error:  # noqa: BLE001 - reported; the others go on
                    conn.rollback()
                    failed[shard_id] = f"{type(error).__name__}: {error}"
                    print(f"{shard_id}: failed, the other shards go on: {failed[shard_id]}",
                          file=sys.stderr, flush=True)
            if args.shard or not shards:
                break
    if failed or gaps:
        print(f"{len(failed)} shard(s) failed, {len(gaps)} stopped by a retention gap: "
              "see above; a failed shard resumes from its checkpoint on the next run",
              file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
