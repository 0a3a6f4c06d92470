"""The Definitions carry both alert sensors, running, and the `alerts` resource reads
its destinations from the environment (EnvVar for the webhook URL: a secret)."""

from __future__ import annotations

from dagster import EnvVar

from pms_pipelines.defs.resources import AlertsResource, resources


def test_both_sensors_are_defined_and_running() -> None:
    from pms_pipelines.definitions import defs

    sensors = {s.name: s for s in defs.get_repository_def().sensor_defs}
    for name in ("alert_on_run_failure", "alert_on_failed_check"):
        assert sensors[name].default_status.value == "RUNNING"
        assert "alerts" in sensors[name].required_resource_keys


def test_the_resource_takes_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PMS_ALERT_WEBHOOK_URL", "http://127.0.0.1:1/hooks/secret")
    monkeypatch.setenv("PMS_ALERT_SNS_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:a")
    monkeypatch.delenv("PMS_ALERT_UI_BASE_URL", raising=False)
    alerts = resources()["alerts"]
    assert isinstance(alerts, AlertsResource)
    assert alerts.webhook_url == EnvVar("PMS_ALERT_WEBHOOK_URL")  # shown by name, not value
    destinations = alerts.process_config_and_initialize().destinations()
    assert destinations.webhook_url == "http://127.0.0.1:1/hooks/secret"
    assert destinations.any and destinations.ui_base_url == ""


def test_no_environment_means_no_destination(monkeypatch) -> None:
    for name in ("PMS_ALERT_WEBHOOK_URL", "PMS_ALERT_SNS_TOPIC_ARN", "PMS_ALERT_UI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert not resources()["alerts"].destinations().any
