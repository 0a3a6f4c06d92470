variable "name" {
  description = "Environment prefix, e.g. pms-staging (the instance identifier)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instance."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two AZs or more) for the DB subnet group."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 5432 (the Dagster tasks, the webhook receiver)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for storage, the managed master secret and Performance Insights."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version (major.minor); the parameter group family follows the major."
  type        = string
  default     = "16.6"
}

variable "instance_class" {
  description = "Instance class, e.g. db.t4g.medium (staging) or db.m7g.large (prod)."
  type        = string
}

variable "allocated_storage_gb" {
  description = "Initial storage (GiB)."
  type        = number
  default     = 50
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling (GiB)."
  type        = number
  default     = 500
}

variable "multi_az" {
  description = "Standby in a second AZ (prod: true)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery."
  type        = number
  default     = 14
}
