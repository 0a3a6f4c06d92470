"""What the PropertyMe tests share: a sandbox with one agency and a quick retry policy."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.propertyme.sandbox import RunningSandbox, start_sandbox

FAST = RetryPolicy(max_attempts=2, base_delay_s=0.001, max_delay_s=0.01)


@pytest.fixture()
def sandbox() -> Iterator[tuple[RunningSandbox, dict[str, str]]]:
    """A running sandbox of agency 'a' (6 units) and its credentials."""
    creds = {"client_id": f"c-{secrets.token_hex(4)}", "client_secret": secrets.token_hex(8),
             "refresh_token": secrets.token_hex(8)}
    running = start_sandbox([{"agency_id": "a", **creds, "units": 6}], rate_limit_per_s=None)
    yield running, creds
    running.stop()
