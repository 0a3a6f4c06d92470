"""Subprocess entry points, so a figure can run a consume (or a bare drain) in its own
process, as a Dagster run does, and read that process's own peak RSS.

    python -m bench.child consume --stream S --shard ID [--max-records N] [--batch-limit N]
    python -m bench.child drain --stream S --shard ID [--batch-limit N]
    python -m bench.child pull --stream S --base-url URL --agencies FILE.json
    python -m bench.child consume-until --stream S --until FILE (a thread per shard)

Prints one JSON line: records, start and end (time.time()), peak_rss_mb; consume and
drain also cpu_s, the process' CPU seconds between start and end (all its threads).

peak_rss_mb is the process' own high-water mark, `VmHWM` of /proc/self/status, not
`getrusage(RUSAGE_SELF).ru_maxrss`: Linux carries the parent's high-water mark across
fork + exec into ru_maxrss, so a child of a big benchmark process would report the
parent's size (measured here: 3 GB for a consume whose own peak was a few hundred MB).
Needs AWS_ENDPOINT_URL (moto) and, for consume, PMS_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def _consume(args: argparse.Namespace) -> dict:
    from pms_pipelines.aws import kinesis_client
    from pms_pipelines.consumer.consume import consume_shard
    from pms_pipelines.db.connection import connect, database_url

    kinesis = kinesis_client()
    with connect(database_url(), application_name="bench-consume") as conn:
        start, cpu = time.time(), time.process_time()
        report = consume_shard(kinesis, conn, args.stream, args.shard,
                               max_records=args.max_records, batch_limit=args.batch_limit)
        end, cpu_s = time.time(), time.process_time() - cpu
    return {"records": report.records, "loaded": report.loaded, "rejected": report.rejected,
            "start": start, "end": end, "cpu_s": cpu_s}


def _drain(args: argparse.Namespace) -> dict:
    """The baseline: a bare boto3 GetRecords loop that does nothing with the records."""
    import boto3

    kinesis = boto3.client("kinesis")
    start, cpu = time.time(), time.process_time()
    iterator = kinesis.get_shard_iterator(StreamName=args.stream, ShardId=args.shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = 0
    while iterator:
        response = kinesis.get_records(ShardIterator=iterator, Limit=args.batch_limit)
        records += len(response["Records"])
        if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
            break
        iterator = response.get("NextShardIterator")
    return {"records": records, "start": start, "end": time.time(),
            "cpu_s": time.process_time() - cpu}


def _pull(args: argparse.Namespace) -> dict:
    """Full `pull_and_publish` of every entity of every agency (a JSON list of agency_id,
    client_id, client_secret), one after another, as the pull runs would."""
    from pathlib import Path

    from pms_pipelines.aws import kinesis_client
    from pms_pipelines.db.connection import connect, database_url
    from pms_pipelines.integrations.buildium import INTEGRATION
    from pms_pipelines.pulls.pull_and_publish import pull_and_publish

    agencies = json.loads(Path(args.agencies).read_text())
    kinesis = kinesis_client()
    pulled = 0
    with connect(database_url(), application_name="bench-pull") as conn:
        start = time.time()
        for agency in agencies:
            creds = {"client_id": agency["client_id"], "client_secret": agency["client_secret"]}
            for entity in INTEGRATION.entities:
                pulled += pull_and_publish(
                    INTEGRATION, agency_id=agency["agency_id"], entity=entity,
                    credentials=creds, base_url=args.base_url, conn=conn, kinesis=kinesis,
                    stream=args.stream, full=True).pulled
        end = time.time()
    return {"records": pulled, "start": start, "end": end}


def _consume_until(args: argparse.Namespace) -> dict:
    """A thread per shard, each consuming to caught up again and again (as the sensor's
    runs would) until the file `--until` exists, then once more to caught up."""
    import threading
    from pathlib import Path

    from pms_pipelines.aws import kinesis_client
    from pms_pipelines.consumer.consume import consume_shard
    from pms_pipelines.db.connection import connect, database_url
    from pms_pipelines.stream.reader import list_shards

    ended = Path(args.until)
    counts: list[int] = []
    errors: list[BaseException] = []

    def drain(shard_id: str) -> None:
        try:
            with connect(database_url(), application_name="bench-consume") as conn:
                while True:
                    last = ended.exists()  # before the last catch-up
                    report = consume_shard(kinesis_client(), conn, args.stream, shard_id,
                                           max_records=10**9)
                    counts.append(report.records)
                    if last:
                        return
                    if not report.records:
                        time.sleep(0.2)
        except BaseException as error:  # noqa: BLE001 - raised below
            errors.append(error)

    start = time.time()
    threads = [threading.Thread(target=drain, args=(shard["ShardId"],))
               for shard in list_shards(kinesis_client(), args.stream)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return {"records": sum(counts), "start": start, "end": time.time()}


def own_peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(argv: list[str] | None = None) -> int:
    from pms_pipelines.consumer.consume import BATCH_LIMIT

    parser = argparse.ArgumentParser(prog="python -m bench.child")
    parser.add_argument("mode", choices=("consume", "drain", "pull", "consume-until"))
    parser.add_argument("--stream", required=True)
    parser.add_argument("--shard")
    parser.add_argument("--base-url")
    parser.add_argument("--agencies")
    parser.add_argument("--until")
    parser.add_argument("--max-records", type=int, default=10_000_000)
    parser.add_argument("--batch-limit", type=int, default=BATCH_LIMIT)
    args = parser.parse_args(argv)
    result = {"consume": _consume, "drain": _drain, "pull": _pull,
              "consume-until": _consume_until}[args.mode](args)
    result["peak_rss_mb"] = own_peak_rss_mb()
    result["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
