# One environment of the platform, wired from the reusable modules. envs/<env>/ calls
# this with its own sizes; nothing here differs between staging and prod.
data "aws_caller_identity" "current" {}
data "aws_elb_service_account" "current" {}

locals {
  bucket_prefix = "${var.name}-${data.aws_caller_identity.current.account_id}"
}

module "kms" {
  source = "../kms"
  name   = var.name
}

module "network" {
  source      = "../network"
  name        = var.name
  cidr_block  = var.vpc_cidr
  kms_key_arn = module.kms.key_arn
}

data "aws_iam_policy_document" "access_log_delivery" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-access-logs/s3/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
  statement {
    sid       = "LoadBalancerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-access-logs/alb/*"]
    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }
}

# S3 server access logs and ALB logs can only be delivered to SSE-S3 buckets.
module "access_logs_bucket" {
  source            = "../bucket"
  name              = "${local.bucket_prefix}-access-logs"
  kms_key_arn       = null
  expire_after_days = var.access_log_days
  extra_policy_json = data.aws_iam_policy_document.access_log_delivery.json
}

module "raw_bucket" {
  source            = "../bucket"
  name              = "${local.bucket_prefix}-raw"
  kms_key_arn       = module.kms.key_arn
  access_log_bucket = module.access_logs_bucket.name
  # Firehose output is compacted into the lake daily. The raw files are the lake's source:
  # kept as long as it (archived once old), so a lost or wrong lake day can be rebuilt.
  expire_after_days  = var.raw_retention_days
  archive_after_days = var.raw_archive_after_days
}

module "lake_bucket" {
  source            = "../bucket"
  name              = "${local.bucket_prefix}-lake"
  kms_key_arn       = module.kms.key_arn
  access_log_bucket = module.access_logs_bucket.name
}

# Each run's stdout/stderr (Dagster compute logs), uploaded while it runs, so the UI
# shows them after the run's Fargate task is gone (deploy/dagster.prod.yaml).
module "compute_logs_bucket" {
  source            = "../bucket"
  name              = "${local.bucket_prefix}-compute-logs"
  kms_key_arn       = module.kms.key_arn
  access_log_bucket = module.access_logs_bucket.name
  expire_after_days = var.compute_log_days
}

module "athena_results_bucket" {
  source            = "../bucket"
  name              = "${local.bucket_prefix}-athena-results"
  kms_key_arn       = module.kms.key_arn
  access_log_bucket = module.access_logs_bucket.name
  expire_after_days = 30
}

module "stream" {
  source         = "../stream"
  name           = var.name
  on_demand      = var.stream_on_demand
  shard_count    = var.stream_shard_count
  kms_key_arn    = module.kms.key_arn
  raw_bucket_arn = module.raw_bucket.arn
}

module "lake" {
  source              = "../lake"
  name                = var.name
  lake_bucket_name    = module.lake_bucket.name
  raw_bucket_name     = module.raw_bucket.name
  results_bucket_name = module.athena_results_bucket.name
  kms_key_arn         = module.kms.key_arn
}

module "secrets" {
  source             = "../secrets"
  name               = var.name
  kms_key_arn        = module.kms.key_arn
  agency_credentials = var.agency_credentials
}

module "alerts" {
  source      = "../alerts"
  name        = var.name
  kms_key_arn = module.kms.key_arn
}

module "ecr" {
  source           = "../ecr"
  name             = "pms-pipelines-${var.environment}"
  kms_key_arn      = module.kms.key_arn
  pull_account_ids = var.image_pull_account_ids
}

module "database" {
  source                    = "../database"
  name                      = var.name
  vpc_id                    = module.network.vpc_id
  private_subnet_ids        = module.network.private_subnet_ids
  client_security_group_ids = [module.dagster.task_security_group_id, module.dagster.webhook_security_group_id]
  kms_key_arn               = module.kms.key_arn
  instance_class            = var.db_instance_class
  multi_az                  = var.db_multi_az
  backup_retention_days     = var.db_backup_retention_days
}

module "dagster" {
  source                     = "../dagster"
  name                       = var.name
  repository_url             = module.ecr.repository_url
  repository_arn             = module.ecr.repository_arn
  image_tag                  = var.image_tag
  kms_key_arn                = module.kms.key_arn
  vpc_id                     = module.network.vpc_id
  private_subnet_ids         = module.network.private_subnet_ids
  public_subnet_ids          = module.network.public_subnet_ids
  database_security_group_id = module.database.security_group_id
  database_url_secret_arns   = module.secrets.database_url_arns
  agency_secret_arn_pattern  = module.secrets.agency_secret_arn_pattern
  stream_name                = module.stream.stream_name
  stream_arn                 = module.stream.stream_arn
  firehose_name              = module.stream.firehose_name
  firehose_arn               = module.stream.firehose_arn
  raw_bucket_arn             = module.raw_bucket.arn
  raw_bucket_name            = module.raw_bucket.name
  lake_mask_key_secret_arn   = module.secrets.lake_mask_key_arn
  lake_bucket_name           = module.lake_bucket.name
  lake_bucket_arn            = module.lake_bucket.arn
  compute_log_bucket_name    = module.compute_logs_bucket.name
  compute_log_bucket_arn     = module.compute_logs_bucket.arn
  athena_workgroup           = module.lake.athena_workgroup
  access_log_bucket_name     = module.access_logs_bucket.name
  certificate_arn            = var.certificate_arn
  webserver_domain           = var.webserver_domain
  webserver_internal         = var.webserver_internal
  allowed_cidrs              = var.allowed_cidrs
  run_cpu                    = var.run_cpu
  run_memory                 = var.run_memory
  webserver_max_tasks        = var.webserver_max_tasks
  code_location_max_tasks    = var.code_location_max_tasks
  webhook_allowed_cidrs      = var.webhook_allowed_cidrs
  webhook_max_tasks          = var.webhook_max_tasks
  alert_topic_arn            = module.alerts.topic_arn
  alert_webhook_secret_arn   = var.alert_webhook_secret_arn
}

module "monitoring" {
  source           = "../monitoring"
  name             = var.name
  alert_topic_arn  = module.alerts.topic_arn
  runbook_base_url = var.runbook_base_url
  stream_name      = module.stream.stream_name
  firehose_name    = module.stream.firehose_name
  cluster_name     = module.dagster.cluster_name
  service_names    = module.dagster.service_names
  db_instance_id   = module.database.instance_id
  pms_names        = var.monitored_pms
}
