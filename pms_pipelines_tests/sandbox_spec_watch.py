"""Every exchange any declared sandbox answers during the test run, checked against the
vendor's published spec (`../shared/pms_specs/`), counted and reported at the end.

The sandboxes are ours; the spec is the vendor's. A request the spec does not allow, or
an answer it does not describe (a status, a header, a success body that breaks the
response schema) is a place where our sandbox, and so our client, may be wrong about the
vendor: the run fails on it. Three things are counted apart, not failed:
- exchanges of a test marked `off_spec(reason)`, which breaks the spec on purpose (a
  drifting client must get the vendor's 4xx);
- token endpoints and webhook signing keys (the vendors' specs leave their auth servers
  out; Reapit documents its signing-key route in its webhooks guide only), and
- the statuses every vendor's guides document but its spec may not (401, 403, 429, 5xx:
  auth, rate limits, faults the sandbox injects on purpose). An error answer's body is
  not judged by the spec either: specs give error schemas carelessly (PropertyMe's 400
  and 500 are "a list of lots"); `kit/vendor_errors.py` declares the real ones.
Without the specs the watch says it is off and why.
"""

from __future__ import annotations

import collections
import importlib
import re
import threading
from dataclasses import dataclass, field

import pytest

from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit.sandbox_serve import OBSERVERS, SandboxExchange
from pms_pipelines_tests.integrations.spec_check import (
    SPECS_DIR, Exchange, Spec, load_spec, problems,
)


OUTSIDE_SPEC = {401, 403, 429, 500, 502, 503, 504}
UNDOCUMENTED = re.compile(r"status (\d+) is not a documented response$")


@dataclass
class SpecWatch:
    specs: dict[str, Spec]
    guide_paths: dict[str, tuple[str, ...]]  # per sandbox, path prefixes outside its spec
    seen: collections.Counter[str] = field(default_factory=collections.Counter)
    outside: collections.Counter[str] = field(default_factory=collections.Counter)
    found: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter))
    lock: threading.Lock = field(default_factory=threading.Lock)
    off_spec: bool = False  # the running test breaks the spec on purpose

    def observe(self, exchange: SandboxExchange) -> None:
        spec = self.specs.get(exchange.sandbox)
        if spec is None:
            return
        path = exchange.target.split("?")[0]
        if self.off_spec or path.startswith(self.guide_paths[exchange.sandbox]):
            with self.lock:
                self.outside[exchange.sandbox] += 1
            return
        body = exchange.body if exchange.status < 400 else b""
        said = problems(spec, Exchange(exchange.method, f"http://sandbox{exchange.target}",
                                       exchange.headers, exchange.status,
                                       exchange.response_headers, body))
        kept = [p for p in said if not ((m := UNDOCUMENTED.search(p))
                                        and int(m.group(1)) in OUTSIDE_SPEC)]
        with self.lock:
            self.seen[exchange.sandbox] += 1
            self.outside[exchange.sandbox] += len(said) > len(kept)
            for problem in kept:
                self.found[exchange.sandbox][problem] += 1

    def problem_count(self) -> int:
        return sum(sum(found.values()) for found in self.found.values())

    def report(self) -> list[str]:
        lines = []
        for name in sorted(self.specs):
            found = self.found.get(name, collections.Counter())
            lines.append(f"{name}: {self.seen[name]} exchanges checked against "
                         f"{REGISTRY[name].spec_file}, {sum(found.values())} problems "
                         f"({self.outside[name]} off-spec on purpose, token or "
                         "undocumented-status answers counted apart)")
            lines += [f"  {count} x {problem}" for problem, count in found.most_common(10)]
        return lines


WATCH: SpecWatch | None = None


def pytest_configure(config: pytest.Config) -> None:
    global WATCH
    specs = {name: spec for name, integration in REGISTRY.items()
             if (spec := load_spec(integration.spec_file)) is not None}
    if specs:
        WATCH = SpecWatch(specs, {name: _guide_paths(name) for name in specs})
        OBSERVERS.append(WATCH.observe)


def _guide_paths(name: str) -> tuple[str, ...]:
    api = importlib.import_module(REGISTRY[name].sandbox_module).API
    paths = [api.auth.token_path] if api.auth.token_path else []
    if api.webhooks is not None and api.webhooks.key_path:
        paths.append(api.prefix + api.webhooks.key_path)
    return tuple(paths)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    if WATCH is not None:
        WATCH.off_spec = item.get_closest_marker("off_spec") is not None
    try:
        return (yield)
    finally:
        if WATCH is not None:
            WATCH.off_spec = False


def pytest_unconfigure(config: pytest.Config) -> None:
    if WATCH is not None and WATCH.observe in OBSERVERS:
        OBSERVERS.remove(WATCH.observe)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run fails when a sandbox exchange breaks the vendor's spec."""
    if WATCH is not None and WATCH.problem_count() and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("sandbox exchanges against the vendors' specs")
    if WATCH is None:
        terminalreporter.write_line(f"off: no vendor spec found in {SPECS_DIR} "
                                    "(set PMS_SPECS_DIR)")
        return
    for line in WATCH.report():
        terminalreporter.write_line(line)
    if WATCH.problem_count():
        terminalreporter.write_line("FAILED: a sandbox exchange breaks its vendor's spec "
                                    "(above); fix the sandbox's declaration or the client",
                                    red=True)
