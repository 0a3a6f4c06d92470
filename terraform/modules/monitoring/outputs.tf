output "alarm_names" {
  description = "Every alarm this module defines."
  value       = concat([for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name], [for alarm in aws_cloudwatch_metric_alarm.pull_freshness : alarm.alarm_name])
}

output "dashboard_name" {
  description = "The live CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.pipeline.dashboard_name
}
