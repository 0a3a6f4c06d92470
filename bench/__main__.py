"""`python -m bench`: start the stack, run every figure, print the table, write the JSON.

    python -m bench                 # the issue's sizes (make bench)
    python -m bench --tiny          # a few hundred events: checks the code runs (make test)
    python -m bench --only 1,3 --events 50000 --memory-events 200000

The throughput figures (1, 2, 3, 9) run `--repeat` times (3 at full size) and report the
run with the median ratio; every run's ratio is in the figure's details.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import statistics
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from bench.common import RESULTS_DIR, Figure, Sizes, Stack, failed_figure, machine_info, table

FIGURES = {
    "1": ("bench.f1_loader", "loader"),
    "2": ("bench.f2_consumer", "consumer"),
    "3": ("bench.f3_publisher", "publisher"),
    "4": ("bench.f4_memory", "memory"),
    "5": ("bench.f5_rate", "PMS pull rate"),
    "6": ("bench.f6_incremental", "incremental pull"),
    "7": ("bench.f7_sensor_tick", "sensor tick"),
    "8": ("bench.f8_latency", "latency"),
    "9": ("bench.f9_end_to_end", "whole path vs dlt"),
    "10": ("bench.f10_change_detection", "only real changes travel"),
    "11": ("bench.f11_webhooks", "webhooks"),
}
# Same-run ratios of two throughputs, which a shared box moves by several per cent from
# one run to the next: each is measured `repeats` times and the median run reported.
REPEATED = ("1", "2", "3", "9")


def run_all(sizes: Sizes, only: list[str] | None = None, say=print,
            partial: Path | None = None, repeats: int = 1) -> dict:
    """Every figure; after each one the report so far is written to `partial`."""
    started = time.time()
    figures: list[Figure] = []
    timings: dict[str, float] = {}
    stack = Stack(say=say)
    try:
        for number, (module, name) in FIGURES.items():
            if only and number not in only:
                continue
            say(f"figure {number} ({name}) …")
            t0 = time.time()
            try:
                runs = repeats if number in REPEATED else 1
                result = _median_run([importlib.import_module(module).run(stack, sizes)
                                      for _ in range(runs)])
                figures.extend(result if isinstance(result, list) else [result])
            except Exception as error:  # noqa: BLE001 - one figure failing must not hide the rest
                traceback.print_exc()
                figures.append(failed_figure(number, name, f"{type(error).__name__}: {error}"))
            timings[number] = time.time() - t0
            say(f"figure {number} done in {timings[number]:.1f}s")
            if partial is not None:
                partial.parent.mkdir(parents=True, exist_ok=True)
                partial.write_text(json.dumps(_report(sizes, started, timings, figures),
                                              indent=2, default=str))
    finally:
        stack.stop()
    return _report(sizes, started, timings, figures)


def _median_run(results: list) -> Figure | list[Figure]:
    """The run whose ratio is the median (the lower one of an even count), with every
    run's ratio in its details; a single run as it is."""
    if len(results) == 1:
        return results[0]
    ratios = [r.ratio for r in results]
    if any(ratio is None for ratio in ratios):  # a baseline failed: no median to take
        return results[-1]
    chosen = results[ratios.index(statistics.median_low(ratios))]
    chosen.details["run_ratios"] = ratios
    chosen.how += f", median of {len(results)} runs"
    return chosen


def _report(sizes: Sizes, started: float, timings: dict, figures: list[Figure]) -> dict:
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(),
        "machine": machine_info(),
        "sizes": dataclasses.asdict(sizes),
        "seconds": time.time() - started,
        "figure_seconds": timings,
        "figures": [f.as_json() for f in figures],
        "table": table(figures),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (the test)")
    parser.add_argument("--only", help="comma-separated figure numbers, e.g. 1,2,7")
    parser.add_argument("--events", type=int,
                        help="events for figures 1-3 (default 200000)")
    parser.add_argument("--memory-events", type=int,
                        help="events of the big memory run (default 1000000; baseline = /10)")
    parser.add_argument("--e2e-records", type=int, help="sandbox records of figure 9")
    parser.add_argument("--batch-limit", type=int,
                        help="records per consumer batch in figures 1, 2 and 4 (default: "
                             "the consumer's BATCH_LIMIT), to compare batch sizes")
    parser.add_argument("--repeat", type=int,
                        help=f"runs of figures {', '.join(REPEATED)}, the median reported "
                             "(default 3, 1 with --tiny)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "latest.json")
    args = parser.parse_args(argv)
    sizes = Sizes.tiny() if args.tiny else Sizes()
    changes = {}
    if args.events:
        changes.update(loader_events=args.events, consumer_events=args.events,
                       publisher_events=args.events)
    if args.memory_events:
        changes.update(memory_events=args.memory_events,
                       memory_baseline_events=max(1, args.memory_events // 10))
    if args.e2e_records:
        changes["e2e_records"] = args.e2e_records
    if args.batch_limit:
        changes["batch_limit"] = args.batch_limit
    sizes = dataclasses.replace(sizes, **changes)
    only = args.only.split(",") if args.only else None
    repeats = args.repeat or (1 if args.tiny else 3)
    report = run_all(sizes, only, say=lambda line: print(line, file=sys.stderr, flush=True),
                     partial=args.out, repeats=max(1, repeats))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    print(report["table"])
    print(f"\n{report['machine']}; {report['seconds']:.0f}s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
