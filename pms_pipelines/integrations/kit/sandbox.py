"""What every PMS sandbox offers, so the local stack and the conformance suite can drive
any of them the same way.

A sandbox package (`Integration.sandbox_module`) exposes `API`, its declaration for the
kit's one sandbox (`kit.sandbox_api.SandboxApi`, served by `kit.sandbox_serve`; tests
check it against the vendor's spec), and

    start_sandbox(agencies, *, host="127.0.0.1", port=0, churn_seconds=None,
                  rate_limit_per_s=<the provider's documented limit>, faults=None,
                  seed=7) -> RunningSandbox

where each agency is a dict: `agency_id`, one value per `Integration.credential_fields`
(the sandbox accepts exactly those), and either `units` (generated data of that size)
or `fixture` (a JSON file in the provider's own response format).
"""

from __future__ import annotations

from typing import Protocol

# Fault settings every sandbox accepts (probabilities per request, latency in ms).
FAULTS = ("latency_ms", "p429", "p5xx", "p_truncate")


class RunningSandbox(Protocol):
    base_url: str

    def stop(self) -> None: ...

    def churn_once(self) -> dict:
        """Change, add and remove a few records of every agency now; returns counts."""
        ...

    def set_faults(self, faults: dict) -> None:
        """Any of FAULTS; unspecified ones keep their value."""
        ...

    def touch(self, agency_id: str, entity: str) -> str:
        """Change one record behind canonical `entity` as the provider would (its change
        stamp moves); return that record's canonical source id."""
        ...

    def remove(self, agency_id: str, entity: str) -> str:
        """Delete or archive one record behind `entity` the way the provider does;
        return its canonical source id."""
        ...
