"""The Terraform under terraform/, parsed with python-hcl2 into plain Python values.

python-hcl2 8 keeps HCL's quotes (`"\"KMS\""`) and marks blocks; `load_terraform`
strips both so tests compare `"KMS"`, and lists every resource with where it lives.
Expressions stay as strings such as `"${var.kms_key_arn}"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "terraform"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            _plain(k): _plain(v)
            for k, v in value.items()
            if k not in ("__is_block__", "__comments__", "__inline_comments__")
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@dataclass(frozen=True)
class Block:
    kind: str  # resource type, data source type, or "module"
    name: str
    body: dict[str, Any]
    path: Path  # file, relative to terraform/

    @property
    def module_dir(self) -> str:
        return str(self.path.parent)


@cache
def parsed_files() -> dict[Path, dict[str, Any]]:
    return {
        path.relative_to(TERRAFORM_DIR): _plain(hcl2.load(path.open()))
        for path in sorted(TERRAFORM_DIR.rglob("*.tf"))
        if ".terraform" not in path.parts
    }


def _blocks(section: str) -> list[Block]:
    found = []
    for path, document in parsed_files().items():
        for entry in document.get(section, []):
            for kind, named in entry.items():
                for name, body in named.items():
                    found.append(Block(kind, name, body, path))
    return found


def resources(kind: str | None = None) -> list[Block]:
    return [b for b in _blocks("resource") if kind is None or b.kind == kind]


def data_sources(kind: str) -> list[Block]:
    return [b for b in _blocks("data") if b.kind == kind]


def module_calls() -> list[Block]:
    found = []
    for path, document in parsed_files().items():
        for entry in document.get("module", []):
            for name, body in entry.items():
                found.append(Block("module", name, body, path))
    return found


def variables(module_dir: str) -> dict[str, dict[str, Any]]:
    found = {}
    for path, document in parsed_files().items():
        if str(path.parent) == module_dir:
            for entry in document.get("variable", []):
                found.update(entry)
    return found


def locals_of(module_dir: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path, document in parsed_files().items():
        if str(path.parent) == module_dir:
            for entry in document.get("locals", []):
                found.update(entry)
    return found


def one(body: dict[str, Any], block: str) -> dict[str, Any]:
    """A nested block that must appear exactly once (hcl2 lists every block)."""
    value = body[block]
    if isinstance(value, list):
        assert len(value) == 1, f"{block} appears {len(value)} times"
        return value[0]
    return value
