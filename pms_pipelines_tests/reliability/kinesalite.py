"""kinesalite (npm) on loopback: a Kinesis that closes shards and models sequence numbers
faithfully, for the resharding scenario. Installed into `.venv/kinesalite` by
`make kinesalite` (which `make test` runs), or by the fixture itself on first use; where
Node or npm is missing the tests that need it skip and say so."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.local_stack.aws_emulator import EMULATOR_ENV

REPO = Path(__file__).resolve().parents[2]
KINESALITE_DIR = Path(os.environ.get("PMS_KINESALITE_DIR", REPO / ".venv" / "kinesalite"))
PACKAGE = "kinesalite@3"


def kinesalite_binary() -> Path | None:
    """The installed binary, installing it first if npm is there; None without Node."""
    binary = KINESALITE_DIR / "node_modules" / ".bin" / "kinesalite"
    if binary.exists() and shutil.which("node"):
        return binary
    if not shutil.which("node") or not shutil.which("npm"):
        return None
    KINESALITE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--prefix", str(KINESALITE_DIR), "--no-audit", "--no-fund",
                    "--silent", PACKAGE], check=True, timeout=300)
    return binary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def kinesalite_url() -> Iterator[str]:
    binary = kinesalite_binary()
    if binary is None:
        pytest.skip("node/npm not found: the kinesalite resharding tests need Node.js "
                    "(apt-get install nodejs npm), skipped")
    port = _free_port()
    process = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--createStreamMs", "0",
         "--deleteStreamMs", "0", "--updateStreamMs", "0", "--shardLimit", "50"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"kinesalite did not start: {process.stderr.read()!r}")
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def kinesalite(kinesalite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A Kinesis client of kinesalite; the test's environment points there too."""
    for name, value in EMULATOR_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", kinesalite_url)
    return kinesis_client()
