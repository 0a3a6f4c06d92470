variable "environment" {
  description = "staging or prod."
  type        = string
  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be staging or prod."
  }
}

variable "name" {
  description = "Prefix of every resource, pms-<environment>."
  type        = string
}

variable "image_tag" {
  description = "Tag of the pms-pipelines image to run (CI passes the commit SHA)."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the environment's VPC."
  type        = string
}

variable "stream_on_demand" {
  description = "Kinesis on-demand capacity (true) or provisioned shards (false)."
  type        = bool
}

variable "stream_shard_count" {
  description = "Shards when provisioned."
  type        = number
  default     = 4
}

variable "raw_retention_days" {
  description = "Days raw Firehose objects are kept; null (default): as long as the lake, which is rebuilt from them (the CKV_AWS_144 skip relies on it)."
  type        = number
  default     = null
}

variable "raw_archive_after_days" {
  description = "Days after which raw Firehose objects move to Glacier Instant Retrieval (the daily compaction and Athena's raw table read recent days)."
  type        = number
  default     = 90
}

variable "compute_log_days" {
  description = "Days the runs' captured stdout/stderr (Dagster compute logs) are kept in S3."
  type        = number
  default     = 90
}

variable "access_log_days" {
  description = "Days S3 and load balancer access logs are kept."
  type        = number
  default     = 365
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_multi_az" {
  description = "RDS standby in a second AZ."
  type        = bool
}

variable "db_backup_retention_days" {
  description = "Days of RDS automated backups."
  type        = number
}

variable "agency_credentials" {
  description = "Agency credential secrets to create, <pms>/<agency_id>."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate ARN for webserver_domain."
  type        = string
}

variable "webserver_domain" {
  description = "DNS name of the Dagster UI."
  type        = string
}

variable "webserver_internal" {
  description = "Internal load balancer (VPN only) instead of internet-facing (both require Cognito sign-in)."
  type        = bool
  default     = false
}

variable "allowed_cidrs" {
  description = "CIDRs allowed to reach the Dagster UI on 443."
  type        = list(string)
}

variable "run_cpu" {
  description = "CPU units of each Dagster run task."
  type        = number
  default     = 1024
}

variable "run_memory" {
  description = "Memory (MiB) of each Dagster run task."
  type        = number
  default     = 4096
}

variable "webserver_max_tasks" {
  description = "Webserver autoscaling ceiling."
  type        = number
  default     = 3
}

variable "code_location_max_tasks" {
  description = "Code location autoscaling ceiling."
  type        = number
  default     = 3
}

variable "image_pull_account_ids" {
  description = "AWS accounts allowed to pull from this environment's ECR repository (set the prod account on staging)."
  type        = list(string)
  default     = []
}

variable "alert_webhook_secret_arn" {
  description = "Optional: ARN of a Secrets Manager secret holding a Slack-compatible webhook URL for alerts; empty: alerts go to the SNS topic only."
  type        = string
  default     = ""
}

variable "webhook_allowed_cidrs" {
  description = "CIDRs PMS vendors deliver webhooks from (only POST /webhooks/* is forwarded from them); vendors publish none: the internet."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "webhook_max_tasks" {
  description = "Webhook receiver autoscaling ceiling."
  type        = number
  default     = 8
}

variable "runbook_base_url" {
  description = "Where the repository's files are browsed (ending in /): alarms link to its docs/runbook.md."
  type        = string
  default     = ""
}

variable "monitored_pms" {
  description = "The PMSs with agencies in this environment: each gets a pull freshness alarm."
  type        = list(string)
  default     = ["alto", "buildium", "propertyme", "propertyware", "reapit"]
}
