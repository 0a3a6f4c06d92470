"""Credential references: env, file and Secrets Manager (moto); rotation saved back."""

from __future__ import annotations

import json
import pathlib
import stat

import pytest

from pms_pipelines.pulls.credentials import CredentialsError, resolve_credentials, save_credentials
from pms_pipelines.aws import aws_client

FIELDS = ("client_id", "refresh_token")


def test_env_reference(monkeypatch) -> None:
    monkeypatch.setenv("PMS_CRED_T_CLIENT_ID", "id-1")
    monkeypatch.setenv("PMS_CRED_T_REFRESH_TOKEN", "tok-1")
    assert resolve_credentials("env:PMS_CRED_T", FIELDS) == {"client_id": "id-1", "refresh_token": "tok-1"}
    with pytest.raises(CredentialsError, match="cannot store them"):
        save_credentials("env:PMS_CRED_T", {"refresh_token": "tok-2"})


def test_missing_fields_are_named_without_values(monkeypatch) -> None:
    monkeypatch.setenv("PMS_CRED_U_CLIENT_ID", "visible-only-as-name")
    with pytest.raises(CredentialsError) as raised:
        resolve_credentials("env:PMS_CRED_U", FIELDS)
    assert "refresh_token" in str(raised.value)
    assert "visible-only-as-name" not in str(raised.value)


def test_file_reference_rotates_atomically(tmp_path) -> None:
    path = tmp_path / "agency.json"
    path.write_text(json.dumps({"client_id": "id-1", "refresh_token": "tok-1"}))
    reference = f"file:{path}"
    save_credentials(reference, {"refresh_token": "tok-2"})
    assert resolve_credentials(reference, FIELDS) == {"client_id": "id-1", "refresh_token": "tok-2"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["agency.json"]  # no temp file left


@pytest.mark.integration
def test_secrets_manager_reference(moto_emulator) -> None:
    client = aws_client("secretsmanager")
    arn = client.create_secret(
        Name="pms/test-agency", SecretString=json.dumps({"client_id": "id-1", "refresh_token": "tok-1"})
    )["ARN"]
    reference = f"secretsmanager:{arn}"
    assert resolve_credentials(reference, FIELDS)["refresh_token"] == "tok-1"
    save_credentials(reference, {"refresh_token": "tok-2"})
    assert resolve_credentials(reference, FIELDS) == {"client_id": "id-1", "refresh_token": "tok-2"}


def test_bad_references_are_refused(tmp_path) -> None:
    for reference in ("plain-secret", "env:", "vault:x"):
        with pytest.raises(CredentialsError, match="must be"):
            resolve_credentials(reference, FIELDS)
    with pytest.raises(CredentialsError, match="does not exist"):
        resolve_credentials(f"file:{tmp_path / 'missing.json'}", FIELDS)


def test_optional_fields_come_when_the_agency_has_them(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "alto.json"
    path.write_text(json.dumps({"client_id": "id-1", "refresh_token": "tok-1",
                                "rate_limit_per_s": 2}))
    reference = f"file:{path}"
    assert resolve_credentials(reference, FIELDS, ("rate_limit_per_s", "other")) == {
        "client_id": "id-1", "refresh_token": "tok-1", "rate_limit_per_s": "2"}
    assert "rate_limit_per_s" not in resolve_credentials(reference, FIELDS)
