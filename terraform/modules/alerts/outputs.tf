output "topic_arn" {
  description = "The alert topic (PMS_ALERT_SNS_TOPIC_ARN of the code location)."
  value       = aws_sns_topic.alerts.arn
}
