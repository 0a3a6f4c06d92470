# Secret containers, encrypted with the environment's key. Terraform creates them but
# never holds their values (no secret lands in state): operators put the values once, as
# docs/deployment.md says. ECS injects the database URLs as container `secrets`; the
# pipeline reads agency credentials at run time through `secretsmanager:<name>` refs.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  database_urls = {
    # PMS_DATABASE_URL for runs and the code location: the least-privilege pms_consumer role.
    consumer = "Connection URL of the pms_consumer role (postgresql://...)"
    # PMS_DATABASE_URL for the migration task only: pms_migrator owns the schemas.
    migrator = "Connection URL of the pms_migrator role (postgresql://...)"
    # PMS_DATABASE_URL for the webhook receiver: pms_webhooks stores notices, nothing else.
    webhooks = "Connection URL of the pms_webhooks role (postgresql://...)"
    # DAGSTER_PG_URL: the dagster role on the dagster database, psycopg2 driver named.
    dagster = "Dagster storage URL of the dagster role (postgresql+psycopg2://...)"
  }
}

resource "aws_secretsmanager_secret" "database_url" {
  #checkov:skip=CKV2_AWS_57:These hold role URLs set by operators; rotation is the runbook in docs/deployment.md (ALTER ROLE, put-secret-value, force new deployment), not a Lambda.
  for_each                = local.database_urls
  name                    = "${var.name}/database/${each.key}-url"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret" "lake_mask_key" {
  #checkov:skip=CKV2_AWS_57:The key behind the lake's keyed hashes of personal data; rotating it changes every masked value, so it is replaced deliberately (docs/deployment.md), not on a schedule.
  name                    = "${var.name}/lake/mask-key"
  description             = "HMAC key masking personal data in the lake (PMS_LAKE_MASK_KEY)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret" "agency" {
  #checkov:skip=CKV2_AWS_57:PMS API credentials are issued by each vendor; they cannot be rotated by AWS, operators replace them when the vendor does.
  for_each                = toset(var.agency_credentials)
  name                    = "${var.name}/agencies/${each.key}"
  description             = "PMS API credentials of agency ${each.key}: a JSON object with the integration's fields"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}
