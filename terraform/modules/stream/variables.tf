variable "name" {
  description = "Environment prefix, e.g. pms-staging."
  type        = string
}

variable "on_demand" {
  description = "true: Kinesis on-demand capacity (scales by itself); false: provisioned with shard_count shards."
  type        = bool
  default     = true
}

variable "shard_count" {
  description = "Shards when provisioned (ignored on demand). Each shard gets at most one consume run at a time."
  type        = number
  default     = 4
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the stream, the delivery stream, its S3 objects and its log group."
  type        = string
}

variable "raw_bucket_arn" {
  description = "Bucket Firehose writes raw newline-delimited JSON into (under raw/dt=YYYY-MM-DD/)."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps Firehose delivery errors."
  type        = number
  default     = 365
}
