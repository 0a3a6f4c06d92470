"""Resolve an agency's credentials reference to the secret values, at run time only.

References are stored in the agency registry, never the secrets themselves:
- `env:PREFIX` reads `PREFIX_<FIELD>` for each field the integration needs
  (local stack, CI);
- `secretsmanager:<secret id or ARN>` reads a JSON object from AWS Secrets Manager
  (production).
Errors name the reference and the missing field, never a value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from pms_pipelines.stream.kinesis_client import aws_client


class CredentialsError(RuntimeError):
    pass


def resolve_credentials(reference: str, fields: tuple[str, ...]) -> Mapping[str, str]:
    scheme, _, target = reference.partition(":")
    if scheme == "env" and target:
        values = {f: os.environ.get(f"{target}_{f.upper()}") for f in fields}
    elif scheme == "secretsmanager" and target:
        secret = aws_client("secretsmanager").get_secret_value(SecretId=target)
        try:
            document = json.loads(secret["SecretString"])
        except (KeyError, json.JSONDecodeError) as error:
            raise CredentialsError(f"secret {target!r} is not a JSON object") from error
        values = {f: document.get(f) for f in fields}
    else:
        raise CredentialsError(
            f"credentials reference {reference!r} must be env:PREFIX or secretsmanager:ID"
        )
    missing = [f for f, v in values.items() if not v]
    if missing:
        raise CredentialsError(f"credentials {reference!r} lack {', '.join(missing)}")
    return values  # type: ignore[return-value]
