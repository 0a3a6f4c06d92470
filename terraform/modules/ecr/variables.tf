variable "name" {
  description = "Repository name, e.g. pms-pipelines-staging."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts stored images."
  type        = string
}

variable "keep_images" {
  description = "How many images to keep; older ones expire (tags are immutable, one per commit)."
  type        = number
  default     = 50
}

variable "pull_account_ids" {
  description = "Other AWS accounts allowed to pull images (staging's repository lists the prod account so CI can promote)."
  type        = list(string)
  default     = []
}
