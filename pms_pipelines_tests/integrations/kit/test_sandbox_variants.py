"""Served variants (kit/sandbox_variants.py): seeded, mostly of the same type, and never
touching the record the sandbox keeps or the module's own sample values."""

from __future__ import annotations

import copy
import json
import random

from pms_pipelines.integrations.kit import sandbox_variants
from pms_pipelines.integrations.kit.sandbox_variants import vary

RECORD = {"Id": 7, "Name": "Flat 2", "Rent": 950.5, "Active": True, "Tags": ["a", "b"],
          "Address": {"Line1": "1 High St", "Postcode": "OX1 1AA"}, "Owners": [{"Id": 3}]}


def test_the_same_seed_gives_the_same_variants() -> None:
    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [json.dumps(vary(copy.deepcopy(RECORD), rng, 1.0)) for _ in range(50)]
    assert run(1) == run(1) and run(1) != run(2)


def test_variants_change_records_and_leave_the_samples_alone() -> None:
    samples = copy.deepcopy(sandbox_variants.OTHER_TYPES)
    rng = random.Random(3)
    varied = [vary(copy.deepcopy(RECORD), rng, 1.0) for _ in range(2000)]
    for record in varied:
        json.dumps(record)  # always JSON, never circular
    assert sandbox_variants.OTHER_TYPES == samples
    assert sum(r != RECORD for r in varied) > 1900
    assert any(not isinstance(r, dict) for r in varied)  # now and then not an object
    assert any(isinstance(r, dict) and "Name" not in r for r in varied)  # left out
    assert any(isinstance(r, dict) and r.get("Rent") is None and "Rent" in r for r in varied)
    untouched = copy.deepcopy(RECORD)
    assert [vary(copy.deepcopy(RECORD), rng, 0.0) for _ in range(20)] == [untouched] * 20
