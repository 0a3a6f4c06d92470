# The staging environment. State lives in the bucket made by the bootstrap step of
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
    key          = "pms-pipelines/staging.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project     = "pms-pipelines"
      environment = "staging"
      managed-by  = "terraform"
    }
  }
}

module "platform" {
  source                   = "../../modules/platform"
  environment              = "staging"
  name                     = "pms-staging"
  image_tag                = var.image_tag
  vpc_cidr                 = "10.40.0.0/16"
  stream_on_demand         = true
  stream_shard_count       = var.stream_shard_count
  db_instance_class        = "db.t4g.medium"
  db_multi_az              = false
  db_backup_retention_days = 7
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
