"""Alerts: run failures and failed asset checks, sanitized, sent to a Slack-compatible
webhook and/or an SNS topic. Plain Python; `pms_pipelines.defs.alert_sensors` wires it."""
