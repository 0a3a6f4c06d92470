output "ecr_repository_url" {
  description = "Where CI pushes the image (docker push <url>:<sha>)."
  value       = module.platform.ecr_repository_url
}

output "cluster_name" {
  description = "ECS cluster running the Dagster services and runs."
  value       = module.platform.cluster_name
}

output "private_subnet_ids" {
  description = "Subnets for one-off tasks such as migrations."
  value       = module.platform.private_subnet_ids
}

output "task_security_group_id" {
  description = "Security group for one-off tasks such as migrations."
  value       = module.platform.task_security_group_id
}

output "migrate_task_definition" {
  description = "Task definition family that applies schema migrations."
  value       = module.platform.migrate_task_definition
}

output "run_task_definition" {
  description = "Task definition family the EcsRunLauncher starts runs from."
  value       = module.platform.run_task_definition
}

output "stream_name" {
  description = "Kinesis stream name."
  value       = module.platform.stream_name
}

output "firehose_name" {
  description = "Firehose delivery stream name."
  value       = module.platform.firehose_name
}

output "raw_bucket" {
  description = "Raw Firehose bucket."
  value       = module.platform.raw_bucket
}

output "lake_bucket" {
  description = "Parquet lake bucket."
  value       = module.platform.lake_bucket
}

output "glue_database" {
  description = "Glue database of the lake tables."
  value       = module.platform.glue_database
}

output "athena_workgroup" {
  description = "Athena workgroup for lake queries."
  value       = module.platform.athena_workgroup
}

output "db_address" {
  description = "RDS hostname (reachable from inside the VPC only)."
  value       = module.platform.db_address
}

output "db_master_secret_arn" {
  description = "Secret with the pms_admin master credentials, used only for the role bootstrap (pms_pipelines/db/roles.py)."
  value       = module.platform.db_master_secret_arn
}

output "database_url_secret_arns" {
  description = "Secrets that receive the consumer, migrator and dagster database URLs."
  value       = module.platform.database_url_secret_arns
}

output "agency_secret_names" {
  description = "Agency credential secrets; register agencies with credentials ref secretsmanager:<name>."
  value       = module.platform.agency_secret_names
}

output "webserver_url" {
  description = "The Dagster UI."
  value       = module.platform.webserver_url
}

output "load_balancer_dns_name" {
  description = "CNAME target for webserver_domain."
  value       = module.platform.load_balancer_dns_name
}

output "cognito_user_pool_id" {
  description = "User pool for people allowed into the UI."
  value       = module.platform.cognito_user_pool_id
}

output "kms_key_arn" {
  description = "The environment's KMS key (use it for new agency secrets)."
  value       = module.platform.kms_key_arn
}

output "alert_topic_arn" {
  description = "SNS topic of run-failure and failed-check alerts: subscribe on-call here."
  value       = module.platform.alert_topic_arn
}
