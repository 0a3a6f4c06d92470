"""The lake's checks, as plain functions over a compacted day: each returns the problems
it found (empty means it passed), worded for the person reading the Dagster UI."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from pms_pipelines.lake.mask import MASKED_FIELDS, is_masked
from pms_pipelines.lake.schema import LAKE_SCHEMA, record_fields

OUTCOMES = ("loaded", "stale", "rejected")
# A catch-all for personal data outside the masked fields (a free-text name, a note).
_EMAIL = re.compile(r"[^\s@\"]+@[^\s@\"]+\.[a-z]{2,}", re.IGNORECASE)
_MAX_SHOWN = 5


def lake_counts(table: pa.Table) -> dict[str, int]:
    """outcome -> rows in a compacted table."""
    return dict(Counter(table.column("outcome").to_pylist()))


def completeness_problems(
    entity: str, table: pa.Table | None, handled: Mapping[tuple[str, str], int]
) -> list[str]:
    """The day's table must hold exactly the events the consumer counted for `entity`."""
    expected = {o: handled.get((entity, o), 0) for o in OUTCOMES}
    if table is None:
        return [] if not any(expected.values()) else [
            f"day not compacted, the consumer handled {sum(expected.values())} {entity} events"]
    found = lake_counts(table)
    return [
        f"{outcome}: the consumer handled {expected[outcome]}, the lake holds "
        f"{found.get(outcome, 0)}"
        for outcome in OUTCOMES
        if expected[outcome] != found.get(outcome, 0)
    ] + [f"unexpected outcome {name!r} in the lake" for name in found if name not in OUTCOMES]


def schema_problems(entity: str, table: pa.Table) -> list[str]:
    """The file's columns and types are the lake's, and `data` holds only canonical fields."""
    problems = []
    actual = {f.name: f.type for f in table.schema}
    for expected in LAKE_SCHEMA:
        if expected.name not in actual:
            problems.append(f"column {expected.name} is missing")
        elif actual[expected.name] != expected.type:
            problems.append(
                f"column {expected.name} is {actual[expected.name]}, expected {expected.type}")
    problems += [f"unexpected column {name}" for name in actual if name not in LAKE_SCHEMA.names]
    if "data" in actual and "entity" in actual:
        allowed = record_fields(entity)
        strays = Counter(
            name
            for row_entity, data in zip(
                table.column("entity").to_pylist(), table.column("data").to_pylist(), strict=True)
            if row_entity == entity and data is not None
            for name in _top_level_names(data)
            if name not in allowed
        )
        problems += [f"data field {name!r} is not a canonical {entity} field ({count} rows)"
                     for name, count in sorted(strays.items())]
        others = set(table.column("entity").to_pylist()) - {entity}
        problems += [f"rows of entity {other!r} in the {entity} table" for other in sorted(others)]
    return problems


def unmasked_problems(table: pa.Table) -> list[str]:
    """Every masked field holds a hash (or null), and no other value looks like an email."""
    found: list[str] = []
    if "data" not in table.column_names:
        return found
    for index, data in enumerate(table.column("data").to_pylist()):
        if data is None:
            continue
        try:
            document = json.loads(data)
        except ValueError:
            found.append(f"row {index}: data is not JSON")
            continue
        for path, value in _leaves(document):
            name = path.rsplit(".", 1)[-1]
            if name in MASKED_FIELDS and not is_masked(value):
                found.append(f"row {index}: {path} is not masked")
            elif isinstance(value, str) and _EMAIL.search(value):
                found.append(f"row {index}: {path} holds an email address")
    if len(found) > _MAX_SHOWN:
        return [*found[:_MAX_SHOWN], f"... and {len(found) - _MAX_SHOWN} more"]
    return found


def _top_level_names(data: str) -> list[str]:
    try:
        document = json.loads(data)
    except ValueError:
        return []
    return list(document) if isinstance(document, dict) else []


def _leaves(value: Any, path: str = "data") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _leaves(inner, f"{path}.{name}")
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            yield from _leaves(inner, f"{path}[{position}]")
    else:
        yield path, value


CHECKS = ("complete", "schema_matches", "masked")


def day_problems(
    tables: Mapping[str, pa.Table | None], handled: Mapping[tuple[str, str], int]
) -> dict[str, dict[str, list[str]]]:
    """entity -> check name -> problems, for one compacted day (`tables` per entity)."""
    results = {}
    for entity, table in tables.items():
        results[entity] = {
            "complete": completeness_problems(entity, table, handled),
            "schema_matches": [] if table is None else schema_problems(entity, table),
            "masked": [] if table is None else unmasked_problems(table),
        }
    return results
