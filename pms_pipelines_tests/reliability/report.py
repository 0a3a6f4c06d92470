"""`make reliability-report`: run the reliability scenarios and print their figures.

    python -m pms_pipelines_tests.reliability.report [pytest args...]

Each scenario test writes one row (see figures.py); a test that failed after writing its
row is shown as FAIL whatever its row said. Exit status is pytest's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from pms_pipelines_tests.reliability.figures import (
    FIGURES_ENV,
    FUZZ_EXAMPLES_ENV,
    REPORT_FUZZ_EXAMPLES,
)

HERE = Path(__file__).resolve().parent
# The conformance suite's vendor-spec fuzz belongs to the integrations, and its figures
# to this report.
VENDOR_SPEC_FUZZ = HERE.parent / "integrations" / "test_vendor_spec_fuzz.py"
COLUMNS = ("scenario", "events", "faults", "lost", "duplicated", "dead_lettered", "result")
HEADERS = ("scenario", "events", "faults injected", "lost", "duplicated", "dead-lettered",
           "result")


def failed_tests(junit: Path) -> set[str]:
    failed = set()
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(case.get("name", ""))
    return failed


def table(rows: list[dict]) -> str:
    cells = [HEADERS] + [tuple(str(row[c]) for c in COLUMNS) for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    notes = [f"- {row['scenario']}: {row['note']}" for row in rows if row.get("note")]
    return "\n".join(lines + [""] + notes)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        figures_path, junit = Path(tmp) / "figures.jsonl", Path(tmp) / "junit.xml"
        env = {FUZZ_EXAMPLES_ENV: str(REPORT_FUZZ_EXAMPLES), **os.environ,
               FIGURES_ENV: str(figures_path)}
        status = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE),
             str(VENDOR_SPEC_FUZZ), f"--junitxml={junit}", *argv], env=env)
        rows = [json.loads(line) for line in figures_path.read_text().splitlines()] \
            if figures_path.exists() else []
        failed = failed_tests(junit) if junit.exists() else set()
    for row in rows:
        if row["test"].split("::")[-1] in failed:
            row["result"] = "FAIL"
    rows.sort(key=lambda r: (r["scenario"].split(" ")[0], r["scenario"]))
    print()
    print(table(rows))
    print(f"\npytest exit status {status}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
