"""The layering of DESIGN.md ("Who may depend on whom"), as import-linter contracts
(`.importlinter`): every contract is kept, and none was dropped from the file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ("canonical", "integrations", "integrations-apart", "stream", "consumer",
             "plain-python", "production", "no-cycles", "database", "lake")


def test_every_layer_contract_is_kept() -> None:
    declared = re.findall(r"^\[importlinter:contract:([\w-]+)\]",
                          (ROOT / ".importlinter").read_text(), re.MULTILINE)
    assert sorted(declared) == sorted(CONTRACTS)
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--config", ".importlinter", "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout
