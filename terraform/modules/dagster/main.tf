# Dagster on ECS Fargate: the webserver (behind an authenticated load balancer), the
# daemon (sensors, schedules, run queue, EcsRunLauncher), the code location (gRPC), and
# the task definitions the launcher starts one run in and the migration task. One image.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  image     = "${var.repository_url}:${var.image_tag}"
  workspace = "/opt/dagster/app/deploy/workspace.prod.yaml"
  region    = data.aws_region.current.name

  # Plain settings only. Anything secret goes through `secrets` below.
  common_environment = [
    { name = "PMS_ENV", value = "prod" },
    { name = "AWS_REGION", value = local.region },
    { name = "DAGSTER_HOME", value = "/var/lib/dagster" },
    { name = "DAGSTER_ECS_CLUSTER", value = aws_ecs_cluster.this.name },
    { name = "DAGSTER_RUN_TASK_DEFINITION", value = "${var.name}-run" },
    { name = "DAGSTER_COMPUTE_LOG_BUCKET", value = var.compute_log_bucket_name },
  ]
  pipeline_environment = concat(local.common_environment, [
    { name = "PMS_STREAM_NAME", value = var.stream_name },
    { name = "PMS_FIREHOSE_STREAM", value = var.firehose_name },
    { name = "PMS_LAKE_BUCKET", value = var.lake_bucket_name },
    { name = "PMS_RAW_BUCKET", value = var.raw_bucket_name },
    { name = "PMS_ATHENA_WORKGROUP", value = var.athena_workgroup },
    { name = "PMS_ALERT_SNS_TOPIC_ARN", value = var.alert_topic_arn },
    { name = "PMS_ALERT_UI_BASE_URL", value = "https://${var.webserver_domain}" },
  ])

  dagster_storage_secret = [{ name = "DAGSTER_PG_URL", valueFrom = var.database_url_secret_arns["dagster"] }]
  pipeline_secrets = concat(local.dagster_storage_secret, [
    { name = "PMS_DATABASE_URL", valueFrom = var.database_url_secret_arns["consumer"] },
    { name = "PMS_LAKE_MASK_KEY", valueFrom = var.lake_mask_key_secret_arn },
  ])
  # Only the code location (where sensors run) gets the webhook URL, and only when set.
  alert_webhook_secret = [
    for arn in compact([var.alert_webhook_secret_arn]) : { name = "PMS_ALERT_WEBHOOK_URL", valueFrom = arn }
  ]

  # Root filesystems are read-only; Dagster's home (instance config copied in by the
  # image's entrypoint, local artifacts) and /tmp are task-scoped scratch volumes.
  scratch_mounts = [
    { sourceVolume = "dagster-home", containerPath = "/var/lib/dagster", readOnly = false },
    { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
  ]

  log_groups = toset(["webserver", "daemon", "code-location", "run", "migrate", "webhooks"])
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "task" {
  for_each          = local.log_groups
  name              = "/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# ---------------------------------------------------------------- networking
resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "Dagster webserver, daemon, code location and run tasks"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "AWS APIs and PMS vendor APIs (HTTPS only)"
}

resource "aws_vpc_security_group_egress_rule" "tasks_postgres" {
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = var.database_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "RDS PostgreSQL"
}

resource "aws_vpc_security_group_egress_rule" "tasks_grpc" {
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 4000
  to_port                      = 4000
  description                  = "Webserver, daemon and runs to the code location's gRPC server"
}

resource "aws_vpc_security_group_ingress_rule" "tasks_grpc" {
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 4000
  to_port                      = 4000
  description                  = "gRPC from the other Dagster tasks"
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 3000
  to_port                      = 3000
  description                  = "Webserver from the load balancer"
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = "dagster.internal"
  description = "Private names of the Dagster services (code.dagster.internal)"
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "code_location" {
  name = "code"
  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"
    dns_records {
      ttl  = 10
      type = "A"
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

# ---------------------------------------------------------------- task definitions
resource "aws_ecs_task_definition" "webserver" {
  family                   = "${var.name}-webserver"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 2048
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.webserver.arn
  volume {
    name = "dagster-home"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "webserver"
    readonlyRootFilesystem = true
    mountPoints            = local.scratch_mounts
    image                  = local.image
    essential              = true
    command                = ["dagster-webserver", "--host", "0.0.0.0", "--port", "3000", "--workspace", local.workspace]
    portMappings           = [{ containerPort = 3000, protocol = "tcp" }]
    environment            = local.common_environment
    secrets                = local.dagster_storage_secret
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task["webserver"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "webserver"
      }
    }
  }])
}

resource "aws_ecs_task_definition" "daemon" {
  family                   = "${var.name}-daemon"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.daemon.arn
  volume {
    name = "dagster-home"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "daemon"
    readonlyRootFilesystem = true
    mountPoints            = local.scratch_mounts
    image                  = local.image
    essential              = true
    command                = ["dagster-daemon", "run", "--workspace", local.workspace]
    # Every daemon (scheduler, sensors, run queue) heartbeats to the instance; a stale one
    # fails the check and ECS replaces the task. The daemon-not-running alarm watches it.
    healthCheck = {
      command     = ["CMD", "dagster-daemon", "liveness-check"]
      interval    = 60
      timeout     = 30
      retries     = 3
      startPeriod = 180
    }
    environment = local.common_environment
    secrets     = local.dagster_storage_secret
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task["daemon"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "daemon"
      }
    }
  }])
}

resource "aws_ecs_task_definition" "code_location" {
  family                   = "${var.name}-code-location"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 2048
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.pipeline.arn
  volume {
    name = "dagster-home"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "code-location"
    readonlyRootFilesystem = true
    mountPoints            = local.scratch_mounts
    image                  = local.image
    essential              = true
    command                = ["dagster", "code-server", "start", "--host", "0.0.0.0", "--port", "4000", "--module-name", "pms_pipelines.definitions", "--location-name", "pms_pipelines"]
    portMappings           = [{ containerPort = 4000, protocol = "tcp" }]
    # The gRPC server's own health answer: a wedged code server is replaced.
    healthCheck = {
      command     = ["CMD", "dagster", "api", "grpc-health-check", "--port", "4000"]
      interval    = 30
      timeout     = 10
      retries     = 3
      startPeriod = 120
    }
    # DAGSTER_CURRENT_IMAGE tells the run launcher which image this code version runs in.
    environment = concat(local.pipeline_environment, [{ name = "DAGSTER_CURRENT_IMAGE", value = local.image }])
    secrets     = concat(local.pipeline_secrets, local.alert_webhook_secret)
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task["code-location"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "code-location"
      }
    }
  }])
}

# The EcsRunLauncher starts each run as one task of this definition (container "run");
# deploy/dagster.prod.yaml names it through DAGSTER_RUN_TASK_DEFINITION.
resource "aws_ecs_task_definition" "run" {
  family                   = "${var.name}-run"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.run_cpu
  memory                   = var.run_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.pipeline.arn
  volume {
    name = "dagster-home"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "run"
    readonlyRootFilesystem = true
    mountPoints            = local.scratch_mounts
    image                  = local.image
    essential              = true
    environment            = local.pipeline_environment
    secrets                = local.pipeline_secrets
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task["run"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "run"
      }
    }
  }])
}

# One-off task the deploy runs before rolling the services: schema migrations as the
# pms_migrator role (the only role allowed DDL on the pms database).
resource "aws_ecs_task_definition" "migrate" {
  family                   = "${var.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.migrate.arn
  volume {
    name = "dagster-home"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "migrate"
    readonlyRootFilesystem = true
    mountPoints            = local.scratch_mounts
    image                  = local.image
    essential              = true
    command                = ["python", "-m", "pms_pipelines.db.migrate"]
    environment            = [{ name = "PMS_ENV", value = "prod" }]
    secrets                = [{ name = "PMS_DATABASE_URL", valueFrom = var.database_url_secret_arns["migrator"] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task["migrate"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "migrate"
      }
    }
  }])
}

# ---------------------------------------------------------------- services
resource "aws_ecs_service" "webserver" {
  name                   = "webserver"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.webserver.arn
  desired_count          = var.webserver_min_tasks
  launch_type            = "FARGATE"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.webserver.arn
    container_name   = "webserver"
    container_port   = 3000
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling
  }
  depends_on = [aws_lb_listener.https]
}

# Exactly one daemon: two would double-fire schedules and sensors.
resource "aws_ecs_service" "daemon" {
  name                               = "daemon"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.daemon.arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  enable_execute_command             = false

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
}

resource "aws_ecs_service" "code_location" {
  name                   = "code-location"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.code_location.arn
  desired_count          = var.code_location_min_tasks
  launch_type            = "FARGATE"
  enable_execute_command = false

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.code_location.arn
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling
  }
}

# Runs scale by themselves (one Fargate task per run, bounded by the run queue); the
# webserver and the code location (sensor evaluations) scale on CPU.
resource "aws_appautoscaling_target" "service" {
  for_each = {
    webserver     = { service = aws_ecs_service.webserver.name, min = var.webserver_min_tasks, max = var.webserver_max_tasks }
    code-location = { service = aws_ecs_service.code_location.name, min = var.code_location_min_tasks, max = var.code_location_max_tasks }
  }
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${each.value.service}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = each.value.min
  max_capacity       = each.value.max
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each           = aws_appautoscaling_target.service
  name               = "${var.name}-${each.key}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
