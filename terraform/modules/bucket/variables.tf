variable "name" {
  description = "Globally unique bucket name."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for default encryption; null means SSE-S3 (only for buckets whose writer cannot use KMS, such as ALB access logs)."
  type        = string
  default     = null
}

variable "access_log_bucket" {
  description = "Bucket that receives this bucket's server access logs; null only for the access-log bucket itself."
  type        = string
  default     = null
}

variable "expire_after_days" {
  description = "Delete current objects under expire_prefix after this many days; null keeps them."
  type        = number
  default     = null
}

variable "archive_after_days" {
  description = "Move current objects to S3 Glacier Instant Retrieval after this many days (still readable at once, a fraction of the price); null: never."
  type        = number
  default     = null
}

variable "expire_prefix" {
  description = "Key prefix the expiry rule applies to (empty: the whole bucket)."
  type        = string
  default     = ""
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept before it is removed."
  type        = number
  default     = 30
}

variable "extra_policy_json" {
  description = "More bucket-policy statements (e.g. log delivery), merged with the TLS-only rule."
  type        = string
  default     = null
}
