"""The benchmarks run: every figure in tiny mode, the table and the JSON in shape.

Not a timed test: the numbers of a tiny run mean nothing. It checks that each figure
produces measured values, that every ratio is `ours / baseline` of those values, and
that the values come from what the figure measured (its details), not from constants.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = ["1", "2", "3", "4", "5", "6", "7a", "7b", "8", "9", "10a", "10b", "10c", "11a",
            "11b", "11c"]


def _run_tiny(out: Path, *options: str) -> tuple[dict, str]:
    """`python -m bench --tiny` with `options`: its report and what it printed."""
    proc = subprocess.run([sys.executable, "-m", "bench", "--tiny", *options,
                           "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def test_every_figure_runs_and_ratios_come_from_measurements(tmp_path: Path) -> None:
    report, stdout = _run_tiny(tmp_path / "tiny.json")
    figures = {f["number"]: f for f in report["figures"]}
    assert list(figures) == EXPECTED
    for number, figure in figures.items():
        assert isinstance(figure["ours"], float) and figure["ours"] >= 0, number
        if number == "9" and figure["how"] == "baseline failed":
            # dlt lives in .venv-bench, which `make bench` creates; the figure says why
            # and claims no verdict without its baseline.
            assert figure["notes"].startswith("dlt baseline could not run")
            assert figure["met"] is None and figure["baseline"] is None
            continue
        assert figure["error"] is None, (number, figure["error"])
        assert figure["met"] in (True, False), number
        if figure["baseline"] is not None:
            assert figure["baseline"] > 0, number
            assert math.isclose(figure["ratio"], figure["ours"] / figure["baseline"]), number
        else:
            assert figure["ratio"] is None, number

    details = {n: f["details"] for n, f in figures.items()}
    # Throughputs are counts over the seconds the figure measured.
    for number in ("1", "3"):
        d = details[number]
        assert math.isclose(figures[number]["ours"], d["events"] / d["ours_s"])
        assert math.isclose(figures[number]["baseline"], d["events"] / d["baseline_s"])
    assert math.isclose(figures["2"]["ours"], details["2"]["consumed"] / details["2"]["ours_s"])
    assert details["2"]["consumed"] == details["2"]["drained"] == details["2"]["events"]
    assert details["2"]["cpu_us_per_event"] > 0 and details["2"]["baseline_cpu_us_per_event"] > 0
    assert figures["4"]["ours"] == details["4"]["big"]["peak_rss_mb"]
    assert figures["4"]["baseline"] == details["4"]["small"]["peak_rss_mb"]
    assert math.isclose(figures["5"]["ours"],
                        details["5"]["requests"] / details["5"]["seconds"])
    counts = details["6"]["per_entity_per_agency"]
    assert set(counts) == {"alto", "buildium", "propertyme", "propertyware", "reapit"}
    assert figures["6"]["ours"] == max(n for per in counts.values() for v in per.values()
                                       for n in v) >= 1
    assert details["6"]["per_agency_run"]["buildium"] == sum(
        v[0] for v in counts["buildium"].values())
    assert figures["7a"]["ours"] == max(
        details["7a"]["idle_calls"] + details["7a"]["busy_calls"]
        + details["7a"]["after_runs_calls"]) / details["7a"]["shards"]
    assert details["7a"]["consumed"] == 10 * details["7a"]["shards"]
    assert figures["8"]["ours"] == details["8"]["p95_s"] >= details["8"]["p50_s"] > 0
    assert figures["9"]["ours"] == details["9"]["records"] / details["9"]["ours_s"]
    # Only real changes travel: counts of what the unchanged agency's pulls sent and what
    # re-consuming it wrote; the baselines are what republishing sends and reads.
    d = details["10a"]
    assert figures["10a"]["ours"] == max(r["published"] for r in d["nightly"]) == 0
    assert figures["10a"]["baseline"] == d["first_pull_published"] == d["first_load_rows"] > 0
    assert figures["10b"]["ours"] == d["reconsumed_rows_written"] == 0
    assert figures["10b"]["baseline"] == d["reconsumed_records"] == sum(
        r["published"] for r in d["republish"])
    assert figures["10c"]["baseline"] == sorted(r["seconds"] for r in d["republish"])[1]
    # Webhooks: every change of both paths reached a row; the figures are their p95s and
    # the requests each hooked agency's sandbox counted per change.
    d = details["11a"]
    assert d["changes"] == {"webhook": 4 * 2, "polled": 4 * 2}  # 4 per agency, 2 each
    assert figures["11a"]["ours"] == d["webhook_p95_s"] >= d["webhook_p50_s"] > 0
    assert figures["11a"]["baseline"] == d["polled_p95_s"] > 0
    assert figures["11b"]["ours"] == max(d["requests_per_change"].values()) > 0
    assert set(d["requests_per_change"]) == {"buildium", "reapit"}

    # The table: a header and one row per figure, also printed and in the JSON.
    lines = report["table"].splitlines()
    assert lines[0].startswith("| # | figure | ours | baseline | ratio | target | met?")
    assert [line.split("|")[1].strip() for line in lines[2:]] == EXPECTED
    assert report["table"] in stdout
    assert report["machine"]["nproc"] >= 1 and report["sizes"]["loader_events"] == 600


def test_the_batch_size_can_be_chosen(tmp_path: Path) -> None:
    """`--batch-limit` (to compare batch sizes) reaches the loader figure."""
    report, _ = _run_tiny(tmp_path / "batch.json", "--only", "1", "--batch-limit", "50")
    [figure] = report["figures"]
    assert figure["details"]["batch_limit"] == 50 and figure["error"] is None


def test_throughput_figures_report_the_median_run(tmp_path: Path) -> None:
    """`--repeat` runs a throughput figure several times and reports the median run."""
    report, _ = _run_tiny(tmp_path / "repeat.json", "--only", "1,6", "--repeat", "3")
    loader, incremental = report["figures"]
    ratios = loader["details"]["run_ratios"]
    assert len(ratios) == 3 and loader["ratio"] == sorted(ratios)[1]
    assert loader["how"].endswith("median of 3 runs")
    assert "run_ratios" not in incremental["details"]  # a count: run once


def test_loc_counts_each_integration_and_the_kit() -> None:
    """`make loc`: a row per integration, its code lines fewer than its lines."""
    proc = subprocess.run([sys.executable, "-m", "bench.loc"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("|")[1:-1] for line in proc.stdout.splitlines()[2:]]
    names = [r[0].strip() for r in rows]
    assert names == ["alto", "buildium", "propertyme", "propertyware", "reapit", "kit (shared)"]
    for row in rows[:-1]:
        lines, code, sandbox_lines, sandbox_code, declaration, generator = (
            int(v) for v in row[1:])
        assert 0 < code < lines and 0 < sandbox_code < sandbox_lines
        assert 0 < declaration < sandbox_lines and 0 < generator < sandbox_lines
