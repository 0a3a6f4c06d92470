"""Consume from the command line, for scripts and operators: `python -m pms_pipelines.consumer`.

Drains the given shards (default: every shard with work, parents first) of
`PMS_STREAM_NAME` into `PMS_DATABASE_URL`, printing a line per batch. The same code
as the Dagster consume job; without Dagster's run bookkeeping.
"""

from __future__ import annotations

import argparse
import os
import sys

from pms_pipelines.consumer.consume import BATCH_LIMIT, ConsumeReport, consume_shard
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

    with connect(database_url(), application_name="pms-consumer") as conn:
        while True:
            shards = args.shard or shards_to_consume(kinesis, conn, stream, set(), 1024)[0]
            for shard_id in shards:
                consume_shard(
                    kinesis, conn, stream, shard_id, max_records=args.max_records,
                    batch_limit=args.batch_limit, on_batch=progress,
                )
            if args.shard or not shards:
                return 0


if __name__ == "__main__":
    sys.exit(main())
