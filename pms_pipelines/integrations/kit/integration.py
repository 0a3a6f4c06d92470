"""The contract between one PMS integration and the rest of the platform.

The Dagster layer only ever sees `Integration` objects from the registry: it builds a
`PullRequest` per agency and entity, iterates `pull(...)`, publishes the events and
keeps the `Rejected` records (never silently dropped) for the dead-letter path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pms_pipelines.canonical import Event
from pms_pipelines.integrations.kit.cursor import ChangeCursor
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.kit.ledger import PullLedger
from pms_pipelines.integrations.kit.paging import PageRead
from pms_pipelines.integrations.kit.webhooks import Webhooks


@dataclass(frozen=True)
class PullRequest:
    """One pull of one entity for one agency."""

    agency_id: str
    entity: str
    base_url: str
    # repr=False: a PullRequest may end up in a log line or a Dagster error; secrets must not.
    credentials: Mapping[str, str] = field(repr=False)
    since: datetime | None  # None = full pull; else the provider's incremental filter
    observed_at: datetime
    progress: Callable[[PageRead], None] | None = None  # called after every page
    # The kit's retry policy unless a caller (a test, an operator's re-sync) needs another.
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    # Called with credentials the provider rotated during the pull (e.g. a new OAuth
    # refresh token), so the caller can store them where the reference points.
    save_credentials: Callable[[Mapping[str, str]], None] | None = field(
        default=None, repr=False
    )
    # What the pull read of the entity and what became of it, filled in as it runs.
    ledger: PullLedger = field(default_factory=PullLedger, repr=False, compare=False)
    # The vendor's own change marker for this agency and entity, for PMSs that filter by
    # one (kit/cursor.py); the platform stores what the pull found when it succeeds.
    cursor: ChangeCursor = field(default_factory=ChangeCursor, compare=False)
    # A targeted pull (a webhook said these changed): per kind of id (kit/webhooks.py),
    # the ids to read, through the entity's by-id feed; None: a full or incremental pull.
    targets: Mapping[str, frozenset[str]] | None = None


@dataclass(frozen=True)
class Rejected:
    """A provider record that could not be mapped; kept, never silently dropped."""

    entity: str
    source_id: str | None
    reason: str
    raw: bytes


@dataclass(frozen=True)
class Integration:
    """Everything the platform needs to know about one PMS."""

    name: str
    entities: tuple[str, ...]
    credential_fields: tuple[str, ...]
    default_base_url: str
    pull: Callable[[PullRequest], Iterator[Event | Rejected]]
    sandbox_module: str  # dotted module exposing start_sandbox(...), see kit/sandbox.py
    # "signalled": the provider marks deletes (archived, closed), `pull` yields them;
    # "snapshot": it does not, the platform diffs full pulls instead.
    deletes: Literal["signalled", "snapshot"] = "snapshot"
    fixtures: Path | None = None  # holds agency_fixture.json and golden.json
    spec_file: str | None = None  # the vendor's published spec, in shared/pms_specs/
    # Per-agency settings kept beside its credentials, passed to `pull` in
    # `req.credentials` when the agency's document has them (Alto's `rate_limit_per_s`).
    optional_fields: tuple[str, ...] = ()
    # The vendor's webhooks (kit/webhooks.py); None: it has none, polling only.
    webhooks: Webhooks | None = None
