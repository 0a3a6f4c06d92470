variable "name" {
  description = "Environment prefix, e.g. pms-prod."
  type        = string
}

variable "alert_topic_arn" {
  description = "SNS topic every alarm notifies, when it fires and when it clears."
  type        = string
}

variable "runbook_base_url" {
  description = "Where the repository's files are browsed (ending in /): alarm descriptions link to <this>docs/runbook.md#<alarm>."
  type        = string
  default     = ""
}

variable "stream_name" {
  description = "The Kinesis events stream."
  type        = string
}

variable "firehose_name" {
  description = "The Firehose delivery stream that lands events in S3."
  type        = string
}

variable "cluster_name" {
  description = "The ECS cluster of the Dagster services."
  type        = string
}

variable "service_names" {
  description = "ECS service names by role (webserver, daemon, code_location, webhooks)."
  type        = map(string)
}

variable "db_instance_id" {
  description = "The RDS instance identifier."
  type        = string
}

variable "pms_names" {
  description = "Every PMS the code location pulls: one freshness alarm each (pms_pipelines.integrations.REGISTRY; a test keeps them equal)."
  type        = list(string)
  default     = ["alto", "buildium", "propertyme", "propertyware", "reapit"]
}

variable "pull_interval_minutes" {
  description = "The incremental pull schedule's interval in AWS (PMS_INCREMENTAL_CRON)."
  type        = number
  default     = 15
}

variable "freshness_intervals" {
  description = "A PMS alarms when none of its pulls succeeded in this many intervals."
  type        = number
  default     = 3
}

variable "iterator_age_alarm_ms" {
  description = "Alarm when the oldest unread record is older than this (retention is 24 h)."
  type        = number
  default     = 1800000
}

variable "dead_letters_per_hour" {
  description = "Alarm when more events than this are dead-lettered in an hour."
  type        = number
  default     = 10
}

variable "runs_failed_per_hour" {
  description = "Alarm when more Dagster runs than this fail in an hour (each one also alerts on its own)."
  type        = number
  default     = 3
}

variable "db_cpu_percent" {
  description = "Alarm when the database's CPU stays above this."
  type        = number
  default     = 80
}

variable "db_free_storage_bytes" {
  description = "Alarm when the database's free storage falls below this."
  type        = number
  default     = 10737418240
}

variable "db_connections" {
  description = "Alarm when the database has more connections than this."
  type        = number
  default     = 400
}
