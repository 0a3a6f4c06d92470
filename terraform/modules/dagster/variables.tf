variable "name" {
  description = "Environment prefix, e.g. pms-staging (cluster, families, log groups /<name>/...)."
  type        = string
}

variable "repository_url" {
  description = "ECR repository URL of the pms-pipelines image."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository ARN (the execution role may pull from it only)."
  type        = string
}

variable "image_tag" {
  description = "Image tag to run (CI passes the commit SHA)."
  type        = string
}

variable "kms_key_arn" {
  description = "Environment KMS key (logs, secrets, stream, buckets)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the tasks and the load balancer."
  type        = string
}

variable "private_subnet_ids" {
  description = "Subnets of every task (no public IPs)."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer when it faces the internet."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "RDS security group the tasks may reach on 5432."
  type        = string
}

variable "database_url_secret_arns" {
  description = "Secret ARNs of the database URLs (keys: consumer, migrator, dagster, webhooks)."
  type        = map(string)
}

variable "agency_secret_arn_pattern" {
  description = "ARN pattern of agency credential secrets the pipeline may read."
  type        = string
}

variable "stream_name" {
  description = "Kinesis stream name (PMS_STREAM_NAME)."
  type        = string
}

variable "stream_arn" {
  description = "Kinesis stream ARN."
  type        = string
}

variable "firehose_name" {
  description = "Firehose delivery stream name (PMS_FIREHOSE_STREAM)."
  type        = string
}

variable "firehose_arn" {
  description = "Firehose delivery stream ARN."
  type        = string
}

variable "raw_bucket_arn" {
  description = "Raw Firehose bucket ARN (the lake job reads it)."
  type        = string
}

variable "raw_bucket_name" {
  description = "Raw Firehose bucket name (PMS_RAW_BUCKET)."
  type        = string
}

variable "lake_mask_key_secret_arn" {
  description = "ARN of the secret holding the lake's masking key (PMS_LAKE_MASK_KEY)."
  type        = string
}

variable "lake_bucket_name" {
  description = "Lake bucket name (PMS_LAKE_BUCKET)."
  type        = string
}

variable "compute_log_bucket_name" {
  description = "Bucket of the runs' compute logs (DAGSTER_COMPUTE_LOG_BUCKET)."
  type        = string
}

variable "compute_log_bucket_arn" {
  description = "Bucket of the runs' compute logs: runs write, the webserver reads."
  type        = string
}

variable "lake_bucket_arn" {
  description = "Lake bucket ARN (the lake job writes Parquet there)."
  type        = string
}

variable "athena_workgroup" {
  description = "Athena workgroup name (PMS_ATHENA_WORKGROUP)."
  type        = string
}

variable "access_log_bucket_name" {
  description = "Bucket receiving the load balancer's access logs (SSE-S3)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for webserver_domain, in the same region."
  type        = string
}

variable "webserver_domain" {
  description = "DNS name operators open the Dagster UI at (CNAME it to the load balancer)."
  type        = string
}

variable "webserver_internal" {
  description = "true: internal load balancer in private subnets (VPN only); false: internet-facing, still Cognito-authenticated."
  type        = bool
  default     = false
}

variable "allowed_cidrs" {
  description = "CIDRs allowed to reach the load balancer on 443 (office, VPN)."
  type        = list(string)
}

variable "run_cpu" {
  description = "CPU units of each run task."
  type        = number
  default     = 1024
}

variable "run_memory" {
  description = "Memory (MiB) of each run task."
  type        = number
  default     = 4096
}

variable "webserver_min_tasks" {
  description = "Webserver tasks at least."
  type        = number
  default     = 1
}

variable "webserver_max_tasks" {
  description = "Webserver tasks at most (CPU autoscaling)."
  type        = number
  default     = 3
}

variable "code_location_min_tasks" {
  description = "Code location tasks at least."
  type        = number
  default     = 1
}

variable "code_location_max_tasks" {
  description = "Code location tasks at most (CPU autoscaling)."
  type        = number
  default     = 3
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps task logs."
  type        = number
  default     = 365
}

variable "alert_topic_arn" {
  description = "SNS topic the alert sensors publish to (PMS_ALERT_SNS_TOPIC_ARN)."
  type        = string
}

variable "alert_webhook_secret_arn" {
  description = "Optional: ARN of a secret holding a Slack-compatible webhook URL (PMS_ALERT_WEBHOOK_URL); empty: SNS only."
  type        = string
  default     = ""
}

variable "webhook_allowed_cidrs" {
  description = "CIDRs the PMS vendors deliver webhooks from; they publish none, so the internet. Only POST /webhooks/* is forwarded from them."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "webhook_min_tasks" {
  description = "Webhook receiver tasks at rest (two: one can be replaced while the other answers)."
  type        = number
  default     = 2
}

variable "webhook_max_tasks" {
  description = "Webhook receiver tasks at most."
  type        = number
  default     = 8
}

variable "webhook_requests_per_task" {
  description = "ALB requests per receiver task per minute that autoscaling keeps to."
  type        = number
  default     = 3000
}

variable "waf_requests_per_address" {
  description = "Requests one source address may make in 5 minutes before the web ACL blocks it (a vendor's burst of webhooks comes from few addresses: keep it generous)."
  type        = number
  default     = 20000
}
