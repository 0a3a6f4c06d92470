# The prod environment. State lives in the bucket made by the bootstrap step of
# docs/deployment.md: terraform init -backend-config="bucket=<state bucket>".
terraform {
  required_version = ">= 1.10" # S3 backend use_lockfile
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
  backend "s3" {
    key          = "pms-pipelines/prod.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project     = "pms-pipelines"
      environment = "prod"
      managed-by  = "terraform"
    }
  }
}

module "platform" {
  source                   = "../../modules/platform"
  environment              = "prod"
  name                     = "pms-prod"
  image_tag                = var.image_tag
  vpc_cidr                 = "10.50.0.0/16"
  stream_on_demand         = true # scales with traffic; docs/deployment.md, "Stream capacity"
  stream_shard_count       = var.stream_shard_count
  db_instance_class        = "db.m7g.large"
  db_multi_az              = true
  db_backup_retention_days = 30
  agency_credentials       = var.agency_credentials
  certificate_arn          = var.certificate_arn
  webserver_domain         = var.webserver_domain
  webserver_internal       = var.webserver_internal
  allowed_cidrs            = var.allowed_cidrs
  webhook_allowed_cidrs    = var.webhook_allowed_cidrs
  image_pull_account_ids   = var.image_pull_account_ids
  alert_webhook_secret_arn = var.alert_webhook_secret_arn
  runbook_base_url         = var.runbook_base_url
  monitored_pms            = var.monitored_pms
}
