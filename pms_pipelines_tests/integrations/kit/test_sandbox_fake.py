"""The kit's fake data: seeded, and shaped like each locale's names, places and phones."""

from __future__ import annotations

import random
import re

from pms_pipelines.integrations.kit.sandbox_fake import ANCHOR, AU, GB, US, Fake


def _sample(locale, seed: int = 1) -> list:
    fake = Fake(random.Random(seed), locale)
    return [(fake.name(), fake.place(), fake.phone(), fake.phone(mobile=False), fake.past(),
             fake.uuid()) for _ in range(30)]


def test_the_same_seed_gives_the_same_values() -> None:
    for locale in (US, GB, AU):
        assert _sample(locale) == _sample(locale) != _sample(locale, seed=2)


def test_values_look_like_their_locale() -> None:
    for (first, last), place, mobile, landline, past, _ in _sample(GB):
        assert first in GB.first_names and last in GB.last_names
        assert re.fullmatch(r"[A-Z]{1,2}\d{1,2} \d[A-Z]{2}", place.postcode), place
        assert mobile.startswith("07") and landline.startswith("01")
        assert past < ANCHOR
    for _, place, mobile, _, _, _ in _sample(AU):
        assert re.fullmatch(r"\d{4}", place.postcode) and place.locality
        assert re.fullmatch(r"04\d\d \d{3} \d{3}", mobile)
    for _, place, _, _, _, _ in _sample(US):
        assert re.fullmatch(r"\d{5}", place.postcode) and len(place.region) == 2
    fake = Fake(random.Random(3), GB)
    assert {fake.place("Leeds").town for _ in range(10)} == {"Leeds"}
    assert fake.email("Siobhan", "O'Neill").endswith("@example.co.uk")
    assert "'" not in fake.email("Siobhan", "O'Neill")
