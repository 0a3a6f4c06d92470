# Monitoring that outlives Dagster: CloudWatch alarms to the alert topic and a live
# dashboard. The PmsPipelines metrics come from the runs' EMF log lines; their names,
# units and dimensions are catalogued in pms_pipelines/metrics/names.py, and
# pms_pipelines_tests/infra/test_terraform_monitoring.py checks every metric named here
# (and in dashboard.json.tftpl) is one the code emits or AWS publishes. Each alarm links
# to its section of docs/runbook.md ("CloudWatch alarms").

locals {
  runbook = "${var.runbook_base_url}docs/runbook.md#alarm-"
  alarms = {
    "stream-iterator-age" = {
      namespace  = "AWS/Kinesis"
      metric     = "GetRecords.IteratorAgeMilliseconds"
      dimensions = { StreamName = var.stream_name }
      statistic  = "Maximum"
      period     = 300
      periods    = 3
      comparison = "GreaterThanThreshold"
      threshold  = var.iterator_age_alarm_ms
      missing    = "breaching" # nobody reading the stream is the worst case
      meaning    = "The consumer is falling behind the stream, or not reading it at all."
    }
    "stream-write-throttled" = {
      namespace  = "AWS/Kinesis"
      metric     = "WriteProvisionedThroughputExceeded"
      dimensions = { StreamName = var.stream_name }
      statistic  = "Sum"
      period     = 300
      periods    = 3
      comparison = "GreaterThanThreshold"
      threshold  = 0
      missing    = "notBreaching"
      meaning    = "Pulls are throttled writing to the stream for 15 minutes (they retry; pulls slow down)."
    }
    "stream-read-throttled" = {
      namespace  = "AWS/Kinesis"
      metric     = "ReadProvisionedThroughputExceeded"
      dimensions = { StreamName = var.stream_name }
      statistic  = "Sum"
      period     = 300
      periods    = 3
      comparison = "GreaterThanThreshold"
      threshold  = 0
      missing    = "notBreaching"
      meaning    = "Consume runs are throttled reading the stream for 15 minutes."
    }
    "lake-delivery-failing" = {
      namespace  = "AWS/Firehose"
      metric     = "DeliveryToS3.Success"
      dimensions = { DeliveryStreamName = var.firehose_name }
      statistic  = "Minimum"
      period     = 300
      periods    = 3
      comparison = "LessThanThreshold"
      threshold  = 1
      missing    = "notBreaching" # no traffic, no deliveries to judge
      meaning    = "Firehose could not write events to S3 for 15 minutes (it retries for 24 h, then errors to the raw bucket's error prefix)."
    }
    "daemon-not-running" = {
      namespace  = "ECS/ContainerInsights"
      metric     = "RunningTaskCount"
      dimensions = { ClusterName = var.cluster_name, ServiceName = var.service_names["daemon"] }
      statistic  = "Minimum"
      period     = 60
      periods    = 3
      comparison = "LessThanThreshold"
      threshold  = 1
      missing    = "breaching"
      meaning    = "No Dagster daemon task: no schedule, sensor, consume run or alert from Dagster."
    }
    "webserver-not-running" = {
      namespace  = "ECS/ContainerInsights"
      metric     = "RunningTaskCount"
      dimensions = { ClusterName = var.cluster_name, ServiceName = var.service_names["webserver"] }
      statistic  = "Minimum"
      period     = 60
      periods    = 3
      comparison = "LessThanThreshold"
      threshold  = 1
      missing    = "breaching"
      meaning    = "No Dagster webserver task: the UI is down (pipelines keep running)."
    }
    "runs-failing" = {
      namespace  = "PmsPipelines"
      metric     = "RunsFailed"
      dimensions = {}
      statistic  = "Sum"
      period     = 3600
      periods    = 1
      comparison = "GreaterThanThreshold"
      threshold  = var.runs_failed_per_hour
      missing    = "notBreaching"
      meaning    = "More Dagster runs failed in the last hour than usual."
    }
    "dead-letters" = {
      namespace  = "PmsPipelines"
      metric     = "EventsDeadLettered"
      dimensions = {}
      statistic  = "Sum"
      period     = 3600
      periods    = 1
      comparison = "GreaterThanThreshold"
      threshold  = var.dead_letters_per_hour
      missing    = "notBreaching"
      meaning    = "Events are being dead-lettered: their records are not in Postgres."
    }
    "database-cpu" = {
      namespace  = "AWS/RDS"
      metric     = "CPUUtilization"
      dimensions = { DBInstanceIdentifier = var.db_instance_id }
      statistic  = "Average"
      period     = 300
      periods    = 3
      comparison = "GreaterThanThreshold"
      threshold  = var.db_cpu_percent
      missing    = "notBreaching"
      meaning    = "The database has been busy for 15 minutes: loads and the app slow down."
    }
    "database-storage" = {
      namespace  = "AWS/RDS"
      metric     = "FreeStorageSpace"
      dimensions = { DBInstanceIdentifier = var.db_instance_id }
      statistic  = "Minimum"
      period     = 300
      periods    = 1
      comparison = "LessThanThreshold"
      threshold  = var.db_free_storage_bytes
      missing    = "notBreaching"
      meaning    = "The database is running out of storage."
    }
    "database-connections" = {
      namespace  = "AWS/RDS"
      metric     = "DatabaseConnections"
      dimensions = { DBInstanceIdentifier = var.db_instance_id }
      statistic  = "Maximum"
      period     = 300
      periods    = 2
      comparison = "GreaterThanThreshold"
      threshold  = var.db_connections
      missing    = "notBreaching"
      meaning    = "The database has more connections than expected: runs may be piling up."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.meaning} Runbook: ${local.runbook}${each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = [var.alert_topic_arn]
  ok_actions          = [var.alert_topic_arn]
}

# Per PMS: no pull of it succeeded (scheduled or webhook) in `freshness_intervals`
# intervals. Missing data (no pull ran at all) breaches.
resource "aws_cloudwatch_metric_alarm" "pull_freshness" {
  for_each            = toset(var.pms_names)
  alarm_name          = "${var.name}-pull-freshness-${each.key}"
  alarm_description   = "No ${each.key} pull succeeded in ${var.freshness_intervals * var.pull_interval_minutes} minutes. Runbook: ${local.runbook}pull-freshness"
  namespace           = "PmsPipelines"
  metric_name         = "PullsSucceeded"
  dimensions          = { PMS = each.key }
  statistic           = "Sum"
  period              = var.pull_interval_minutes * 60
  evaluation_periods  = var.freshness_intervals
  datapoints_to_alarm = var.freshness_intervals
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [var.alert_topic_arn]
  ok_actions          = [var.alert_topic_arn]
}

data "aws_region" "current" {}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = "${var.name}-pipeline"
  dashboard_body = templatefile("${path.module}/dashboard.json.tftpl", {
    region   = data.aws_region.current.name
    stream   = var.stream_name
    firehose = var.firehose_name
    database = var.db_instance_id
    alarms = jsonencode(concat(
      [for alarm in aws_cloudwatch_metric_alarm.this : alarm.arn],
      [for alarm in aws_cloudwatch_metric_alarm.pull_freshness : alarm.arn],
    ))
  })
}
