"""Profile one figure's hot path, for finding where the time goes when a target is missed.

    .venv-bench/bin/py-spy record --format raw -o /tmp/loader.txt -- \\
        .venv/bin/python -m bench.profile loader --events 50000
    .venv/bin/python -m bench.profile summarize /tmp/loader.txt

`loader`, `publisher`, `consumer` (one shard, in this process) and `pull` (a full pull of
one sandbox agency, rate limit off) run alone on the local stack, without the baselines;
`summarize` prints the heaviest frames of a py-spy raw (collapsed) profile, inclusive
and self, optionally only under one frame (`--within "ours (bench/f1_loader.py"`).
"""

from __future__ import annotations

import argparse
import collections
import sys


def summarize(path: str, top: int = 25, within: str | None = None) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path) as profile:
        for line in profile:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            frames = stack.split(";")
            if within is not None:
                hits = [i for i, f in enumerate(frames) if within in f]
                if not hits:
                    continue
                frames = frames[hits[0]:]
            total += n
            for frame in set(frames):
                inclusive[frame] += n
            self_time[frames[-1]] += n
    print(f"{total} samples\n-- inclusive")
    for frame, n in inclusive.most_common(top):
        print(f"{100 * n / total:5.1f}%  {frame}")
    print("-- self")
    for frame, n in self_time.most_common(top):
        print(f"{100 * n / total:5.1f}%  {frame}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("what", choices=("loader", "publisher", "consumer", "pull",
                                         "summarize"))
    parser.add_argument("path", nargs="?")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--within", help="summarize: only samples under a frame naming this")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.what == "summarize":
        summarize(args.path, args.top, args.within)
        return 0
    from bench.common import Stack, bench_records, publish, pull_agency_events, sandbox_agencies

    stack = Stack(say=lambda _: None)
    try:
        if args.what == "loader":
            from bench.f1_loader import _stream_records, ours

            ours(stack.new_database("prof"), _stream_records(args.events), 1000)
        elif args.what == "publisher":
            from pms_pipelines.aws import kinesis_client
            from pms_pipelines.stream.publisher import publish_records

            publish_records(kinesis_client(), stack.new_stream(4, "prof"),
                            bench_records(args.events))
        elif args.what == "consumer":
            from pms_pipelines.aws import kinesis_client
            from pms_pipelines.consumer.consume import consume_shard
            from pms_pipelines.db.connection import connect

            stream = stack.new_stream(1, "prof")
            publish(stream, bench_records(args.events))
            with connect(stack.new_database("prof")) as conn:
                consume_shard(kinesis_client(), conn, stream, "shardId-000000000000",
                              max_records=10**9)
        else:
            from pms_pipelines.integrations.buildium.sandbox import start_sandbox

            agency = sandbox_agencies(1, max(1, args.events // 4), "prof")[0]
            sandbox = start_sandbox([agency], rate_limit_per_s=None)
            try:
                pull_agency_events(sandbox.base_url, agency)
            finally:
                sandbox.stop()
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
