"""Each reliability scenario records one row of figures; `make reliability-report` prints them.

A test calls `record(...)` before it asserts, so a failing scenario still shows its
numbers. Rows go to the JSON-lines file named by `PMS_RELIABILITY_FIGURES` (the report
sets it); without it nothing is written and the tests behave as any other test.
"""

from __future__ import annotations

import json
import os

FIGURES_ENV = "PMS_RELIABILITY_FIGURES"
# How many generated examples the fuzz scenarios run: bounded in `make test`, thousands
# of inputs in `make reliability-report`, which sets it.
FUZZ_EXAMPLES_ENV = "PMS_FUZZ_EXAMPLES"
REPORT_FUZZ_EXAMPLES = 400


def fuzz_examples(default: int, share: float = 1.0) -> int:
    """`default` unless PMS_FUZZ_EXAMPLES is set; then `share` of it (a scenario that runs
    once per integration and entity takes a part), never fewer than `default`."""
    wanted = os.environ.get(FUZZ_EXAMPLES_ENV)
    return max(default, round(int(wanted) * share)) if wanted else default


def record(
    scenario: str, *, events: int, faults: int, lost: int, duplicated: int,
    dead_lettered: int, note: str = "", result: str | None = None,
) -> None:
    path = os.environ.get(FIGURES_ENV)
    if not path:
        return
    row = {
        "scenario": scenario, "events": events, "faults": faults, "lost": lost,
        "duplicated": duplicated, "dead_lettered": dead_lettered, "note": note,
        "result": result or ("pass" if lost == 0 and duplicated == 0 else "FAIL"),
        "test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0],
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")
