variable "name" {
  description = "Environment prefix, e.g. pms-staging; log groups under /<name>/ may use the key."
  type        = string
}
