# Roles, least privilege: the execution role pulls the image, writes logs and reads only
# the secrets injected into containers; each task role holds only what its task does.
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [var.repository_arn]
  }
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # the action has no resource-level scope
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for group in aws_cloudwatch_log_group.task : "${group.arn}:*"]
  }
  statement {
    sid       = "InjectDatabaseUrls"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat(values(var.database_url_secret_arns), [var.lake_mask_key_secret_arn], compact([var.alert_webhook_secret_arn]))
  }
  statement {
    sid       = "DecryptSecretsAndImage"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-inject-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# ---- pipeline: the code location (sensors) and every run (pulls, consume, lake)
resource "aws_iam_role" "pipeline" {
  name               = "${var.name}-pipeline"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid = "PublishAndConsumeStream"
    actions = [
      "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards",
      "kinesis:PutRecord", "kinesis:PutRecords", "kinesis:GetShardIterator", "kinesis:GetRecords",
    ]
    resources = [var.stream_arn]
  }
  statement {
    sid       = "DeliverHandledEvents"
    actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
    resources = [var.firehose_arn]
  }
  statement {
    sid       = "ReadRawWriteLake"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
    resources = [var.raw_bucket_arn, "${var.raw_bucket_arn}/*", var.lake_bucket_arn, "${var.lake_bucket_arn}/*"]
  }
  statement {
    sid       = "WriteComputeLogs"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:ListBucket"]
    resources = [var.compute_log_bucket_arn, "${var.compute_log_bucket_arn}/*"]
  }
  statement {
    sid       = "ReadAgencyCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.agency_secret_arn_pattern]
  }
  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }
  statement {
    sid       = "UseEnvironmentKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "stream-lake-agency-credentials"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# ---- daemon: the EcsRunLauncher starts, watches and stops run tasks
resource "aws_iam_role" "daemon" {
  name               = "${var.name}-dagster-daemon"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "run_control" {
  statement {
    sid       = "LaunchRuns"
    actions   = ["ecs:RunTask"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${local.region}:${data.aws_caller_identity.current.account_id}:task-definition/${var.name}-run:*"]
  }
  statement {
    sid       = "WatchAndStopRuns"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask", "ecs:TagResource"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }
  statement {
    sid = "ReadTaskDefinitions"
    # Describe/Register have no resource-level scope. The launcher registers a run task
    # definition when a code location reports a different image than the configured one.
    actions   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition", "ec2:DescribeNetworkInterfaces"]
    resources = ["*"]
  }
  statement {
    sid       = "HandRunRolesToRunTasks"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.pipeline.arn, aws_iam_role.execution.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "daemon" {
  name   = "launch-runs"
  role   = aws_iam_role.daemon.id
  policy = data.aws_iam_policy_document.run_control.json
}

# ---- webserver: terminating a run from the UI stops its task
resource "aws_iam_role" "webserver" {
  name               = "${var.name}-dagster-webserver"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "webserver" {
  statement {
    sid       = "TerminateRuns"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }
  statement {
    sid       = "ReadComputeLogs"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [var.compute_log_bucket_arn, "${var.compute_log_bucket_arn}/*"]
  }
  statement {
    sid       = "DecryptComputeLogs"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "webserver" {
  name   = "terminate-runs-read-logs"
  role   = aws_iam_role.webserver.id
  policy = data.aws_iam_policy_document.webserver.json
}

# ---- migrate: needs nothing from AWS beyond what the execution role injects
resource "aws_iam_role" "migrate" {
  name               = "${var.name}-migrate"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}
