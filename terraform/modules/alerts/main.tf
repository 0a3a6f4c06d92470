# Where the alert sensors publish run failures and failed asset checks. Operators
# subscribe to it (email, a chat integration, an on-call tool). KMS-encrypted with the
# environment key: publishers need kms:GenerateDataKey and kms:Decrypt on it.
resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  kms_master_key_id = var.kms_key_arn
}
