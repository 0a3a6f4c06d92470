"""Fixtures of the reliability suite."""

from __future__ import annotations

import pytest
from botocore.retries import standard


@pytest.fixture
def quick_botocore_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard retry mode waits up to 1-2 s before its own retries of a
    throttle; with hundreds of injected throttles that is minutes of sleeping. The
    retries still happen, only the waits shrink."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.001)
