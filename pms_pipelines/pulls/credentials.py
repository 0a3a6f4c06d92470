"""Resolve an agency's credentials reference to the secret values, at run time only, and
store credentials a provider rotated (an OAuth refresh token) back where they came from.

References live in the agency registry, never the secrets themselves:
- `env:PREFIX` reads `PREFIX_<FIELD>` for each field the integration needs (CI, simple
  API keys); read-only, so it cannot hold a rotating refresh token;
- `file:<path>.json` reads and rewrites a JSON object (the local stack);
- `secretsmanager:<ARN>` reads and updates a JSON secret in AWS Secrets Manager
  (production).
Errors name the reference and the missing field, never a value.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pms_pipelines.aws import aws_client


class CredentialsError(RuntimeError):
    pass


def resolve_credentials(reference: str, fields: tuple[str, ...],
                        optional: tuple[str, ...] = ()) -> Mapping[str, str]:
    """The agency's `fields` (each required) and those of `optional` it has (per-agency
    settings kept with its credentials)."""
    scheme, target = _split(reference)
    if scheme == "env":
        found = {f: os.environ.get(f"{target}_{f.upper()}") for f in (*fields, *optional)}
    else:
        document = _read_document(scheme, target)
        found = {f: document.get(f) for f in (*fields, *optional)}
    missing = [f for f in fields if not found[f]]
    if missing:
        raise CredentialsError(f"credentials {reference!r} lack {', '.join(missing)}")
    return {f: str(v) for f, v in found.items() if v}


def save_credentials(reference: str, updates: Mapping[str, str]) -> None:
    """Merge `updates` into the stored credentials (a rotated refresh token)."""
    scheme, target = _split(reference)
    if scheme == "env":
        raise CredentialsError(
            f"credentials {reference!r} were rotated by the provider but an env: reference "
            "cannot store them; register the agency with file: or secretsmanager:"
        )
    document = {**_read_document(scheme, target), **updates}
    if scheme == "file":
        path = Path(target)
        # Write then rename: a crash mid-write must not lose the only valid refresh token.
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as handle:
            json.dump(document, handle)
        os.chmod(handle.name, 0o600)
        os.replace(handle.name, path)
    else:
        aws_client("secretsmanager").put_secret_value(
            SecretId=target, SecretString=json.dumps(document)
        )


def _split(reference: str) -> tuple[str, str]:
    scheme, _, target = reference.partition(":")
    if scheme not in ("env", "file", "secretsmanager") or not target:
        raise CredentialsError(
            f"credentials reference {reference!r} must be env:PREFIX, file:PATH.json "
            "or secretsmanager:ID"
        )
    return scheme, target


def _read_document(scheme: str, target: str) -> dict[str, str]:
    try:
        if scheme == "file":
            text = Path(target).read_text()
        else:
            text = aws_client("secretsmanager").get_secret_value(SecretId=target)["SecretString"]
        document = json.loads(text)
    except FileNotFoundError as error:
        raise CredentialsError(f"credentials file {target!r} does not exist") from error
    except (KeyError, json.JSONDecodeError) as error:
        raise CredentialsError(f"credentials {scheme}:{target!r} are not a JSON object") from error
    if not isinstance(document, dict):
        raise CredentialsError(f"credentials {scheme}:{target!r} are not a JSON object")
    return document
