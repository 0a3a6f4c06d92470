variable "name" {
  description = "Environment prefix, e.g. pms-staging; secrets are named <name>/database/... and <name>/agencies/..."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the secrets."
  type        = string
}

variable "agency_credentials" {
  description = "Agency credential secrets to create, as <pms>/<agency_id> (e.g. buildium/acme-lettings); register the agency with credentials ref secretsmanager:<name>/agencies/<pms>/<agency_id>."
  type        = list(string)
  default     = []
}
