variable "region" {
  description = "AWS region of the staging environment."
  type        = string
  default     = "eu-west-2"
}

variable "image_tag" {
  description = "Tag of the pms-pipelines image in ECR to run; CI passes the commit SHA it built."
  type        = string
}

variable "stream_shard_count" {
  description = "Kinesis shards when the stream is provisioned (prod); ignored on demand (staging)."
  type        = number
  default     = 4
}

variable "agency_credentials" {
  description = "Agency credential secrets to create, as <pms>/<agency_id> (e.g. buildium/acme-lettings)."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate (same region) covering webserver_domain."
  type        = string
}

variable "webserver_domain" {
  description = "DNS name of the Dagster UI, e.g. dagster.staging.example.com."
  type        = string
}

variable "webserver_internal" {
  description = "true: the UI's load balancer is internal (VPN only); either way Cognito sign-in is required."
  type        = bool
  default     = false
}

variable "allowed_cidrs" {
  description = "CIDRs (office, VPN egress) allowed to reach the UI on 443."
  type        = list(string)
}

variable "image_pull_account_ids" {
  description = "Other AWS accounts allowed to pull this environment's images (on staging: the prod account, for promotion)."
  type        = list(string)
  default     = []
}

variable "alert_webhook_secret_arn" {
  description = "Optional: ARN of a Secrets Manager secret (encrypted with the environment key) holding a Slack-compatible webhook URL for alerts; empty: SNS only."
  type        = string
  default     = ""
}

variable "webhook_allowed_cidrs" {
  description = "CIDRs PMS vendors deliver webhooks from (only POST /webhooks/* is forwarded from them); vendors publish none: the internet."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "runbook_base_url" {
  description = "Where the repository's files are browsed, ending in / (e.g. https://github.com/<org>/pms-pipelines/blob/main/): alarm descriptions link to its docs/runbook.md."
  type        = string
  default     = ""
}

variable "monitored_pms" {
  description = "The PMSs with agencies in this environment: each gets a pull freshness alarm (a PMS without agencies would alarm forever)."
  type        = list(string)
  default     = ["alto", "buildium", "propertyme", "propertyware", "reapit"]
}
