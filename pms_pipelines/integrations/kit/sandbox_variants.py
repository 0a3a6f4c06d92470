"""Variants of the records a sandbox serves, on request (an agency's `"variants": rate`):
the hostile but plausible answers a vendor sends now and then — optional fields left out,
nulls, extreme numbers, unicode and very long text, emptied lists — so the pulls are
tried with data nobody wrote, even where no vendor spec is at hand.

Each served record is varied with probability `rate`, in one to three places at any
depth, by a seeded rng. Mostly a value keeps its JSON type unless it becomes null or goes
missing; now and then (`BROKEN`) it takes another type, as a vendor breaking its own
schema would; and now and then a record is not an object at all. The stored record is
never touched (the sandbox's filters and stamps go on working), so the same record may
differ between two requests.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Record

TEXTS = ("", " ", "Zoë Ångström-Ñúñez", "李小龍", "مرحبا بالعالم", "🏠🔑", "O'Brien; --",
         "nul\x00byte", "line\nbreak", "ǅ" * 300, "x" * 5000)
INTEGERS = (0, -1, 1, 2**31 - 1, -(2**31), 2**53, 2**63 - 1)
FLOATS = (0.0, -0.01, 0.005, 1e15, -1e15, 123456789.987654321)
BROKEN = 0.1  # the share of changes that break the value's type
OTHER_TYPES = ("12", 12, 1.5, True, [], {}, ["x"], {"id": 1})


def vary(record: Record, rng: random.Random, rate: float) -> Any:
    """`record` (a served copy, changed in place) varied with probability `rate`."""
    if rng.random() < rate:
        if rng.random() < BROKEN / 10:
            return rng.choice((None, "record", 7, [1]))  # not an object at all
        for _ in range(rng.randint(1, 3)):
            _change_one(record, rng)
    return record


def _change_one(node: Any, rng: random.Random) -> None:
    """Change one value somewhere under `node` (a dict or list)."""
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return
        key = rng.choice(keys)
        child = node[key]
        if isinstance(child, (dict, list)) and child and rng.random() < 0.5:
            node = child  # go deeper
            continue
        if isinstance(node, dict) and rng.random() < 0.3:
            del node[key]  # an optional field left out
        elif rng.random() < BROKEN:
            node[key] = copy.deepcopy(  # a copy: a later change must not reach the original
                rng.choice([v for v in OTHER_TYPES if type(v) is not type(child)]))
        else:
            node[key] = None if rng.random() < 0.3 else _other(child, rng)
        return


def _other(value: Any, rng: random.Random) -> Any:
    """Another value of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice(INTEGERS)
    if isinstance(value, float):
        return rng.choice(FLOATS)
    if isinstance(value, str):
        return rng.choice(TEXTS)
    if isinstance(value, list):
        return value[:1] if value and rng.random() < 0.5 else []
    if isinstance(value, dict):
        return {}
    return value
