variable "name" {
  description = "Environment prefix, e.g. pms-staging."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the alert topic's messages at rest."
  type        = string
}
