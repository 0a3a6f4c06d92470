output "ecr_repository_url" {
  description = "Where CI pushes the image."
  value       = module.ecr.repository_url
}

output "cluster_name" {
  description = "ECS cluster running Dagster."
  value       = module.dagster.cluster_name
}

output "private_subnet_ids" {
  description = "Subnets for one-off tasks (migrations)."
  value       = module.network.private_subnet_ids
}

output "task_security_group_id" {
  description = "Security group for one-off tasks (migrations)."
  value       = module.dagster.task_security_group_id
}

output "migrate_task_definition" {
  description = "Family of the migration task."
  value       = module.dagster.migrate_task_definition
}

output "run_task_definition" {
  description = "Family of the run task the EcsRunLauncher starts."
  value       = module.dagster.run_task_definition
}

output "stream_name" {
  description = "Kinesis stream (PMS_STREAM_NAME)."
  value       = module.stream.stream_name
}

output "firehose_name" {
  description = "Firehose delivery stream (PMS_FIREHOSE_STREAM)."
  value       = module.stream.firehose_name
}

output "raw_bucket" {
  description = "Bucket of raw Firehose output."
  value       = module.raw_bucket.name
}

output "lake_bucket" {
  description = "Bucket of the Parquet lake."
  value       = module.lake_bucket.name
}

output "glue_database" {
  description = "Glue database of the lake tables."
  value       = module.lake.glue_database
}

output "athena_workgroup" {
  description = "Athena workgroup for lake queries."
  value       = module.lake.athena_workgroup
}

output "db_address" {
  description = "RDS hostname (private)."
  value       = module.database.address
}

output "db_master_secret_arn" {
  description = "Secret with the pms_admin master credentials (for the role bootstrap only, pms_pipelines/db/roles.py)."
  value       = module.database.master_secret_arn
}

output "database_url_secret_arns" {
  description = "Secrets to put the consumer, migrator and dagster URLs into."
  value       = module.secrets.database_url_arns
}

output "agency_secret_names" {
  description = "Agency credential secrets (credentials ref: secretsmanager:<name>)."
  value       = module.secrets.agency_secret_names
}

output "webserver_url" {
  description = "The Dagster UI."
  value       = "https://${var.webserver_domain}"
}

output "load_balancer_dns_name" {
  description = "CNAME target for webserver_domain."
  value       = module.dagster.load_balancer_dns_name
}

output "cognito_user_pool_id" {
  description = "User pool of the people allowed into the UI."
  value       = module.dagster.cognito_user_pool_id
}

output "kms_key_arn" {
  description = "The environment's KMS key."
  value       = module.kms.key_arn
}

output "alert_topic_arn" {
  description = "SNS topic of run-failure and failed-check alerts: subscribe on-call here."
  value       = module.alerts.topic_arn
}
