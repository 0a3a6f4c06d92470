"""CloudWatch Embedded Metric Format: one JSON object per line on stdout.

In AWS a task's stdout goes to CloudWatch Logs (the awslogs driver), which extracts the
metrics from each line it can read as EMF: no API call on the hot path, no agent.
Locally the lines land in the run's captured stdout, where tests read them back
(`parse`). Spec: the CloudWatch docs, "Specification: Embedded metric format".
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

from pms_pipelines.metrics.names import BY_NAME, NAMESPACE, Metric

log = logging.getLogger(__name__)

# EMF allows at most 100 metrics per directive and 30 dimensions per set.
_MAX_METRICS = 100


def document(values: Mapping[Metric, float], dimensions: Mapping[str, str],
             properties: Mapping[str, Any] | None = None,
             timestamp_ms: int | None = None) -> dict[str, Any]:
    """The EMF object for `values`, each under its dimension sets. Every dimension a
    metric is declared with must be given; a value that is not finite is left out (it
    would make CloudWatch drop the whole line)."""
    kept = {m: float(v) for m, v in values.items() if math.isfinite(float(v))}
    if len(kept) > _MAX_METRICS:
        raise ValueError(f"{len(kept)} metrics in one line (EMF allows {_MAX_METRICS})")
    directives: dict[tuple[tuple[str, ...], ...], list[Metric]] = {}
    for metric in kept:
        missing = {d for s in metric.dimension_sets for d in s} - set(dimensions)
        if missing:
            raise ValueError(f"{metric.name} needs dimension(s) {sorted(missing)}")
        directives.setdefault(metric.dimension_sets, []).append(metric)
    used = {d for sets in directives for s in sets for d in s}
    doc: dict[str, Any] = dict(properties or {})
    doc.update({d: str(dimensions[d]) for d in sorted(used)})
    doc.update({m.name: v for m, v in kept.items()})
    doc["_aws"] = {
        "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
        "CloudWatchMetrics": [
            {"Namespace": NAMESPACE,
             "Dimensions": [list(s) for s in sets],
             "Metrics": [{"Name": m.name, "Unit": m.unit} for m in metrics]}
            for sets, metrics in directives.items()
        ],
    }
    return doc


def emit(values: Mapping[Metric, float], dimensions: Mapping[str, str],
         properties: Mapping[str, Any] | None = None) -> None:
    """Write one EMF line to stdout (looked up now: Dagster captures it per step).
    Never raises: a metric that cannot be written is logged, and the work it measures
    (a pull whose watermark already moved, a committed batch) stands."""
    if not values:
        return
    try:
        line = json.dumps(document(values, dimensions, properties), separators=(",", ":"),
                          default=str)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except Exception as error:  # noqa: BLE001 - metrics must not fail the pipeline
        log.warning("metric line not written (%s): %s", ", ".join(m.name for m in values),
                    error)


def parse(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The EMF objects among `lines` (other output is skipped), checked as CloudWatch
    would read them; raises ValueError for a line that names a metric not in the
    catalogue, with another unit or other dimension sets, or lacks a dimension's value."""
    found = []
    for line in lines:
        line = line.strip()
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        doc = json.loads(line)
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for entry in directive["Metrics"]:
                metric = BY_NAME.get(entry["Name"])
                if metric is None or entry["Unit"] != metric.unit:
                    raise ValueError(f"not a catalogued metric: {entry}")
                if [tuple(s) for s in directive["Dimensions"]] != list(metric.dimension_sets):
                    raise ValueError(f"{metric.name} with other dimensions: {directive}")
                if not isinstance(doc.get(metric.name), float):
                    raise ValueError(f"{metric.name} has no value: {line[:200]}")
            for dimension in {d for s in directive["Dimensions"] for d in s}:
                if not isinstance(doc.get(dimension), str):
                    raise ValueError(f"dimension {dimension} has no value: {line[:200]}")
        found.append(doc)
    return found
