"""An integration's webhooks, declared: how the vendor signs them, where a notice names
its agency and event, and which records each event we use asks us to pull.

The receiver (`pms_pipelines/webhooks/`) has no vendor logic: it reads a delivery
through this declaration into a `Notice` (the agency's vendor account, a key the vendor
keeps across its retries, and the `Target`s to pull), and a targeted pull reads just
those records through the integration's by-id feeds (`FeedPull.targeted`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pms_pipelines.integrations.kit.values import is_id
from pms_pipelines.integrations.kit.webhook_signatures import Scheme, compact_json

Document = Mapping[str, Any]
Op = Literal["upsert", "delete"]
OWN_ID = "id"  # a target's ids are the entity's own source ids


class NoticeUnreadable(ValueError):
    """A delivery that does not say what a notice of its vendor says (answered 400)."""


def field(path: str) -> Callable[[Document], Any]:
    """A value by a dotted path (`data.agencyRef`); None where any step is missing."""
    def read(document: Document) -> Any:
        value: Any = document
        for step in path.split("."):
            value = value.get(step) if isinstance(value, Mapping) else None
        return value
    return read


@dataclass(frozen=True)
class Topic:
    """What one event asks us to pull: records of `entity` named by the ids at `ids`
    (one id or a list), which are the entity's own (`kind` "id") or ids its by-id feed
    reads by (`kind` "rental": the units of a rental). `op` "delete" publishes a delete
    of each own id without asking the vendor."""

    entity: str
    ids: str
    kind: str = OWN_ID
    op: Op = "upsert"


@dataclass(frozen=True)
class Target:
    entity: str
    kind: str
    ids: tuple[str, ...]
    op: Op

    def as_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "kind": self.kind, "ids": list(self.ids), "op": self.op}


@dataclass(frozen=True)
class Notice:
    event_name: str
    targets: tuple[Target, ...]  # empty: an event we do not use


@dataclass(frozen=True)
class Webhooks:
    """One vendor's webhooks. `dedupe` is the key its retries of one notice share (its
    own event id where it has one); `deadline_s` how long it waits for our answer;
    `public_key(base_url, credentials, key_id)` fetches a signing key where the scheme
    needs one."""

    scheme: Scheme
    account: Callable[[Document], Any]
    event_name: Callable[[Document], Any]
    dedupe: Callable[[Document, bytes], str]
    topics: Mapping[str, tuple[Topic, ...]]
    deadline_s: float
    public_key: Callable[[str, Mapping[str, str], str], bytes] | None = None
    window_s: float = 300.0  # how far a signed timestamp may be from our clock

    def account_of(self, document: Document) -> str:
        account = self.account(document)
        if not is_id(account) or str(account) == "":
            raise NoticeUnreadable("the notice names no account (agency)")
        return str(account)

    def read(self, document: Document) -> Notice:
        name = self.event_name(document)
        if not isinstance(name, str) or not name:
            raise NoticeUnreadable("the notice names no event")
        targets = []
        for topic in self.topics.get(name, ()):
            value = field(topic.ids)(document)
            ids = tuple(dict.fromkeys(
                str(v) for v in (value if isinstance(value, list) else [value]) if is_id(v)))
            if ids:
                targets.append(Target(topic.entity, topic.kind, ids, topic.op))
        return Notice(name, tuple(targets))


def body_digest(document: Document, body: bytes) -> str:
    """A dedupe key for a vendor without event ids: its retries resend the same notice
    (however it lays the JSON out)."""
    return "sha256:" + hashlib.sha256(compact_json(body) or body).hexdigest()
