variable "name" {
  description = "Prefix for every resource name, e.g. pms-staging."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's CIDR block; public subnets take its first /20s, private ones from the ninth on."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "How many availability zones to spread subnets over (RDS needs at least two)."
  type        = number
  default     = 2
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps VPC flow logs."
  type        = number
  default     = 365
}
