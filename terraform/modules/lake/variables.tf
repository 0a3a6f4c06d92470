variable "name" {
  description = "Environment prefix, e.g. pms-staging (the Glue database becomes pms_staging_lake)."
  type        = string
}

variable "lake_bucket_name" {
  description = "Bucket holding lake/<entity>/dt=YYYY-MM-DD/ Parquet files."
  type        = string
}

variable "raw_bucket_name" {
  description = "Bucket Firehose lands handled events in (raw/dt=YYYY-MM-DD/): the raw_events table."
  type        = string
}

variable "results_bucket_name" {
  description = "Bucket for Athena query results (written under athena/)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts Athena results."
  type        = string
}

variable "lake_start_date" {
  description = "First day partition projection offers (yyyy-MM-dd)."
  type        = string
  default     = "2025-01-01"
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query that scans more than this many bytes (cost guard)."
  type        = number
  default     = 107374182400
}
