"""`python -m pms_pipelines.local_stack dev` (what `make dev` runs) as a subprocess on a
free port with its state in a temp dir, ready once its code location has loaded."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from pms_pipelines_tests.browser.graphql import location_status

ROOT = Path(__file__).resolve().parents[2]
# The caller's own stack or test settings must not leak into this one.
DROPPED_ENV_PREFIXES = ("PMS_", "AWS_", "DAGSTER_")


@dataclass
class DagsterDev:
    url: str
    location: str
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dagster_dev(
    log: Path, agencies: tuple[str, ...], units: int, env: dict[str, str], timeout_s: float,
) -> Iterator[DagsterDev]:
    # Not under pytest's tmp_path: as root, pgserver runs postgres as another user that
    # must reach its data directory (see fixtures/postgres.py).
    state = Path(tempfile.mkdtemp(prefix="pms-browser-"))
    port = free_port()
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_ENV_PREFIXES)}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pms_pipelines.local_stack", "dev", "--port", str(port),
             "--units", str(units), "--agencies", *agencies, "--state-dir", str(state / "state"),
             "--dagster-home", str(state / "dagster_home")],
            cwd=ROOT, env={**clean_env, **env}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # its run workers too end with it (see _stop)
        )
    try:
        url = f"http://127.0.0.1:{port}"
        location = _wait_until_loaded(process, url, log, timeout_s)
        yield DagsterDev(url=url, location=location, log=log)
    finally:
        stopped_cleanly = _stop(process, state)
        shutil.rmtree(state, ignore_errors=True)
    # Asked to stop, the stack exits 0 (Ctrl-C of `make dev` ends without an error).
    assert stopped_cleanly is not False, f"the stack exited with {process.returncode}"


def _wait_until_loaded(process: subprocess.Popen, url: str, log: Path, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    status: dict[str, str] | str = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the local stack exited with {process.returncode}; log {log}:\n"
                                 + _tail(log))
        try:
            status = location_status(url)
        except (requests.ConnectionError, requests.Timeout) as error:
            status = f"webserver not answering: {error.__class__.__name__}"
        else:
            if status and all(s == "LOADED" for s in status.values()):
                return next(iter(status))
            if any(s not in ("LOADED", "LOADING") for s in status.values()):
                raise AssertionError(f"code location failed to load: {status}")
        time.sleep(1)
    raise AssertionError(f"dagster dev not ready on {url} after {timeout_s:.0f}s ({status}); "
                         f"log {log}:\n" + _tail(log))


def _stop(process: subprocess.Popen, state: Path) -> bool | None:
    """SIGTERM: the stack stops dagster dev, then Postgres and the emulators. Whatever
    is left of its session (run workers outliving dagster dev) is killed after. Whether
    it exited 0 (None: it had already exited, or had to be killed)."""
    stopped_cleanly = None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            stopped_cleanly = process.wait(timeout=90) == 0
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            _stop_postgres(state / "state" / "pg")
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return stopped_cleanly


def _stop_postgres(data_dir: Path) -> None:
    """The embedded server runs in its own session: stop it by the pid it wrote."""
    pid_file = data_dir / "postmaster.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
        except (ValueError, ProcessLookupError):
            pass


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
