output "database_url_arns" {
  description = "ARNs of the consumer, migrator and dagster database-URL secrets, by key."
  value       = { for key, secret in aws_secretsmanager_secret.database_url : key => secret.arn }
}

output "agency_secret_names" {
  description = "Names of the agency credential secrets (use secretsmanager:<name> as the agency's credentials ref)."
  value       = [for secret in aws_secretsmanager_secret.agency : secret.name]
}

output "agency_secret_arn_pattern" {
  description = "ARN pattern the pipeline may read agency credentials from."
  value       = "arn:${data.aws_partition.current.partition}:secretsmanager:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:secret:${var.name}/agencies/*"
}

output "lake_mask_key_arn" {
  description = "ARN of the lake masking key secret (PMS_LAKE_MASK_KEY)."
  value       = aws_secretsmanager_secret.lake_mask_key.arn
}
