"""The one backoff rule every retry loop uses: exponential, capped, with full jitter
(a random wait in [0, min(cap, base * 2**attempt)]), so retrying clients spread out."""

from __future__ import annotations

from collections.abc import Callable


def full_jitter(attempt: int, base_s: float, cap_s: float, rng: Callable[[], float]) -> float:
    """`attempt` counts from 0; `rng` returns a float in [0, 1)."""
    return rng() * min(cap_s, base_s * 2**attempt)
