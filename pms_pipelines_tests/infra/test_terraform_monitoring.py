"""The CloudWatch alarms and dashboard in terraform/modules/monitoring name only metrics
that exist: ones the code emits (pms_pipelines/metrics/names.py, with a dimension set it
emits them under) or ones AWS publishes; every alarm notifies the alert topic and has a
runbook section; every metric the code emits is on the dashboard or an alarm."""

from __future__ import annotations

import json
import re

import pytest

from pms_pipelines.integrations import REGISTRY
from pms_pipelines.metrics import names
from pms_pipelines_tests.infra.terraform_config import (
    TERRAFORM_DIR,
    locals_of,
    module_calls,
    resources,
    variables,
)

DOCS = TERRAFORM_DIR.parent / "docs"
MODULE = "modules/monitoring"
# What AWS publishes (its CloudWatch docs: Kinesis stream-level, Firehose, Container
# Insights for ECS, RDS), with the dimensions used here.
AWS = {
    "AWS/Kinesis": ({"GetRecords.IteratorAgeMilliseconds", "WriteProvisionedThroughputExceeded",
                     "ReadProvisionedThroughputExceeded", "IncomingRecords",
                     "GetRecords.Records", "IteratorAgeMilliseconds"}, {"StreamName", "ShardId"}),
    "AWS/Firehose": ({"DeliveryToS3.Success", "DeliveryToS3.Records",
                      "DeliveryToS3.DataFreshness"}, {"DeliveryStreamName"}),
    "ECS/ContainerInsights": ({"RunningTaskCount"}, {"ClusterName", "ServiceName"}),
    "AWS/RDS": ({"CPUUtilization", "FreeStorageSpace", "DatabaseConnections"},
                {"DBInstanceIdentifier"}),
}
STATISTICS = {"Sum", "Average", "Minimum", "Maximum", "SampleCount"}


def _check_metric(namespace: str, metric: str, dimensions: set[str]) -> None:
    if namespace == names.NAMESPACE:
        emitted = names.BY_NAME.get(metric)
        assert emitted is not None, f"{metric}: the code emits no such metric"
        assert tuple(sorted(dimensions)) in {tuple(sorted(s)) for s in emitted.dimension_sets}, (
            f"{metric} is never emitted with dimensions {sorted(dimensions)}")
    else:
        published, known_dimensions = AWS[namespace]
        assert metric in published, f"{namespace} {metric}"
        assert dimensions <= known_dimensions, (metric, dimensions)


def _alarms() -> dict[str, dict]:
    return locals_of(MODULE)["alarms"]


def _runbook_anchors() -> set[str]:
    headings = re.findall(r"^### Alarm: ([\w-]+)$", (DOCS / "runbook.md").read_text(),
                          re.MULTILINE)
    return {f"alarm-{h}" for h in headings}


def test_each_alarm_watches_a_metric_that_exists() -> None:
    alarms = _alarms()
    assert len(alarms) >= 11
    for key, alarm in alarms.items():
        _check_metric(alarm["namespace"], alarm["metric"], set(alarm["dimensions"]))
        assert alarm["statistic"] in STATISTICS, key
        assert alarm["missing"] in {"breaching", "notBreaching"}, key
    blocks = {b.name: b.body for b in resources("aws_cloudwatch_metric_alarm")}
    fresh = blocks["pull_freshness"]
    _check_metric(fresh["namespace"], fresh["metric_name"], set(fresh["dimensions"]))
    assert fresh["treat_missing_data"] == "breaching"  # no pull ran at all: alarm


def test_the_alarms_cover_what_the_platform_promises() -> None:
    watched = {(a["namespace"], a["metric"]) for a in _alarms().values()}
    assert {("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds"),
            ("AWS/Kinesis", "WriteProvisionedThroughputExceeded"),
            ("AWS/Kinesis", "ReadProvisionedThroughputExceeded"),
            ("AWS/Firehose", "DeliveryToS3.Success"),
            ("ECS/ContainerInsights", "RunningTaskCount"),
            (names.NAMESPACE, names.RUNS_FAILED.name),
            (names.NAMESPACE, names.EVENTS_DEAD_LETTERED.name),
            ("AWS/RDS", "CPUUtilization"), ("AWS/RDS", "FreeStorageSpace"),
            ("AWS/RDS", "DatabaseConnections")} <= watched
    services = {a["dimensions"].get("ServiceName") for a in _alarms().values()}
    assert {'${var.service_names["daemon"]}', '${var.service_names["webserver"]}'} <= services
    assert _alarms()["stream-iterator-age"]["missing"] == "breaching"  # nobody reading


def test_every_alarm_notifies_the_topic_and_links_its_runbook_section() -> None:
    anchors = _runbook_anchors()
    for block in resources("aws_cloudwatch_metric_alarm"):
        assert block.module_dir == MODULE
        assert block.body["alarm_actions"] == block.body["ok_actions"] == [
            "${var.alert_topic_arn}"]
        assert "Runbook: ${local.runbook}" in block.body["alarm_description"]
    assert {f"alarm-{key}" for key in _alarms()} | {"alarm-pull-freshness"} == anchors
    assert "${local.runbook}pull-freshness" in {
        b.name: b for b in resources("aws_cloudwatch_metric_alarm")
    }["pull_freshness"].body["alarm_description"]
    deployment = (DOCS / "deployment.md").read_text()
    for key in [*_alarms(), "pull-freshness"]:
        assert f"`{key}`" in deployment, f"docs/deployment.md does not list alarm {key}"
    [call] = [c for c in module_calls() if c.name == "monitoring"]
    assert call.body["alert_topic_arn"] == "${module.alerts.topic_arn}"


def test_every_pms_the_code_pulls_has_a_freshness_alarm_by_default() -> None:
    for module_dir in (MODULE, "modules/platform", "envs/prod", "envs/staging"):
        declared = variables(module_dir)
        name = "pms_names" if module_dir == MODULE else "monitored_pms"
        assert sorted(declared[name]["default"]) == sorted(REGISTRY), module_dir


def _dashboard() -> dict:
    template = (TERRAFORM_DIR / MODULE / "dashboard.json.tftpl").read_text()
    assert "%{" not in template and "$${" not in template
    values = {"region": "eu-west-2", "stream": "s", "firehose": "f", "database": "d",
              "alarms": json.dumps(["arn:aws:cloudwatch:eu-west-2:1:alarm:a"])}
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)
    return json.loads(rendered)


SEARCH = re.compile(
    r"""^SEARCH\('\{([\w/]+)((?:,\w+)*)\} MetricName="([\w.]+)"(?: \w+="[^"]*")*', '(\w+)', (\d+)\)$""")


def _dashboard_metrics() -> list[tuple[str, str, set[str]]]:
    found = []
    for widget in _dashboard()["widgets"]:
        for line in widget["properties"].get("metrics", []):
            if isinstance(line[0], dict):
                expression = line[0]["expression"]
                if expression.startswith("SEARCH"):
                    match = SEARCH.match(expression)
                    assert match, expression
                    namespace, dims, metric, stat, period = match.groups()
                    found.append((namespace, metric, set(filter(None, dims.split(",")))))
                    assert stat in STATISTICS or re.fullmatch(r"p\d{1,2}", stat), expression
                continue
            namespace, metric, *rest = line
            options = rest.pop() if rest and isinstance(rest[-1], dict) else {}
            assert len(rest) % 2 == 0 and "." not in (namespace, metric), line
            found.append((namespace, metric, set(rest[0::2])))
            stat = options.get("stat", "Average")
            assert stat in STATISTICS or re.fullmatch(r"p\d{1,2}", stat), line
    return found


def test_the_dashboard_names_only_metrics_that_exist() -> None:
    shown = _dashboard_metrics()
    assert len(shown) >= 15
    for namespace, metric, dimensions in shown:
        _check_metric(namespace, metric, dimensions)
    # The one shard-level metric the stream publishes is the one the dashboard shows.
    [stream] = resources("aws_kinesis_stream")
    shard_level = {m for n, m, d in shown if n == "AWS/Kinesis" and "ShardId" in d}
    assert shard_level == set(stream.body["shard_level_metrics"]) == {"IteratorAgeMilliseconds"}


def test_every_metric_the_code_emits_is_on_the_dashboard_or_an_alarm() -> None:
    seen = {m for n, m, _ in _dashboard_metrics() if n == names.NAMESPACE}
    seen |= {a["metric"] for a in _alarms().values() if a["namespace"] == names.NAMESPACE}
    seen.add("PullsSucceeded")  # the per-PMS freshness alarms
    assert {m.name for m in names.ALL} <= seen


def test_the_dashboard_shows_the_alarms_and_lays_out_on_the_grid() -> None:
    widgets = _dashboard()["widgets"]
    assert widgets[0]["type"] == "alarm" and widgets[0]["properties"]["alarms"]
    for widget in widgets:
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24, widget
    [dashboard] = resources("aws_cloudwatch_dashboard")
    body = dashboard.body["dashboard_body"]
    for variable in ("region", "stream", "firehose", "database", "alarms"):
        assert variable in body


@pytest.mark.parametrize("role", ["daemon", "code_location"])
def test_the_long_running_containers_have_health_checks(role: str) -> None:
    [task] = [t for t in resources("aws_ecs_task_definition") if t.name == role]
    text = task.body["container_definitions"]
    expected = {"daemon": "dagster-daemon\", \"liveness-check",
                "code_location": "grpc-health-check"}[role]
    assert "healthCheck" in text and expected in text, text[:400]
