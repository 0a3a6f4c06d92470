# The webhook receiver (python -m pms_pipelines.webhooks): the one service vendors reach
# from the internet. It sits behind the same load balancer as the Dagster UI, on its own
# path: POST /webhooks/* is forwarded to it without sign-in (vendors cannot sign in: each
# delivery's signature is checked instead, docs/webhooks.md); every other request is
# the UI's, answered only from allowed_cidrs and only after Cognito sign-in. Vendors'
# addresses are not published, so webhook_allowed_cidrs defaults to the internet.
locals {
  webhook_port = 8090
  # An ALB rule takes at most five source-IP values: the UI's CIDRs, five per rule.
  ui_cidr_chunks = chunklist(var.allowed_cidrs, 5)
}

resource "aws_vpc_security_group_ingress_rule" "alb_webhooks" {
  for_each          = toset(setsubtract(var.webhook_allowed_cidrs, var.allowed_cidrs))
  security_group_id = aws_security_group.alb.id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS from the PMS vendors (only /webhooks/* is forwarded)"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_receiver" {
  security_group_id            = aws_security_group.alb.id
  referenced_security_group_id = aws_security_group.webhooks.id
  ip_protocol                  = "tcp"
  from_port                    = local.webhook_port
  to_port                      = local.webhook_port
  description                  = "Forward webhooks to the receiver tasks"
}

# The receiver's own group: the one service the internet reaches (through the balancer)
# gets no path to the Dagster tasks' gRPC port, only to Postgres and HTTPS.
resource "aws_security_group" "webhooks" {
  name        = "${var.name}-webhooks"
  description = "Webhook receiver tasks"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "webhooks_from_alb" {
  security_group_id            = aws_security_group.webhooks.id
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = local.webhook_port
  to_port                      = local.webhook_port
  description                  = "Webhook receiver from the load balancer"
}

resource "aws_vpc_security_group_egress_rule" "webhooks_https" {
  security_group_id = aws_security_group.webhooks.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "Secrets Manager, KMS, and Reapit's signing keys (HTTPS only)"
}

resource "aws_vpc_security_group_egress_rule" "webhooks_postgres" {
  security_group_id            = aws_security_group.webhooks.id
  referenced_security_group_id = var.database_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "RDS PostgreSQL (the pms_webhooks role)"
}

resource "aws_lb_target_group" "webhooks" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer (TLS 1.3 policy); targets are in private subnets and accept only the balancer's security group.
  name                 = "${var.name}-webhooks"
  port                 = local.webhook_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 15 # a notice is stored before it is answered: drain quickly

  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener_rule" "webhooks" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  condition {
    path_pattern {
      values = ["/webhooks/*"]
    }
  }
  condition {
    http_request_method {
      values = ["POST"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.webhooks.arn
  }

  lifecycle {
    precondition {
      condition     = !var.webserver_internal
      error_message = "Vendors deliver webhooks over the internet: the load balancer must be internet-facing (webserver_internal = false); the UI stays behind allowed_cidrs and Cognito."
    }
  }
}

# The UI: from allowed_cidrs only (the listener's default answers everyone else 403),
# then Cognito sign-in with MFA, then the webserver.
resource "aws_lb_listener_rule" "ui" {
  count        = length(local.ui_cidr_chunks)
  listener_arn = aws_lb_listener.https.arn
  priority     = 20 + count.index

  condition {
    source_ip {
      values = local.ui_cidr_chunks[count.index]
    }
  }

  action {
    type  = "authenticate-cognito"
    order = 1
    authenticate_cognito {
      user_pool_arn       = aws_cognito_user_pool.operators.arn
      user_pool_client_id = aws_cognito_user_pool_client.dagster.id
      user_pool_domain    = aws_cognito_user_pool_domain.operators.domain
      session_timeout     = 28800
    }
  }

  action {
    type             = "forward"
    order            = 2
    target_group_arn = aws_lb_target_group.webserver.arn
  }
}

# ---- the service: small tasks, several of them, scaled on requests per task
resource "aws_iam_role" "webhooks" {
  name               = "${var.name}-webhooks"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "webhooks" {
  statement {
    # Each agency's webhook secret (and, for Reapit, the app credentials that fetch its
    # signing keys) lives in the agency's credentials secret.
    sid       = "ReadAgencyCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.agency_secret_arn_pattern]
  }
  statement {
    sid       = "DecryptAgencyCredentials"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "webhooks" {
  name   = "read-agency-credentials"
  role   = aws_iam_role.webhooks.id
  policy = data.aws_iam_policy_document.webhooks.json
}

resource "aws_ecs_task_definition" "webhooks" {
  family                   = "${var.name}-webhooks"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.webhooks.arn
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "webhooks"
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    image                  = local.image
    essential              = true
    command                = ["python", "-m", "pms_pipelines.webhooks", "--host", "0.0.0.0", "--port", tostring(local.webhook_port)]
    portMappings           = [{ containerPort = local.webhook_port, protocol = "tcp" }]
    environment            = [{ name = "PMS_ENV", value = "prod" }, { name = "AWS_REGION", value = local.region }]
    # The pms_webhooks role: reads agencies, adds notices, nothing else (db/roles.py).
    secrets = [{ name = "PMS_DATABASE_URL", valueFrom = var.database_url_secret_arns["webhooks"] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task["webhooks"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "webhooks"
      }
    }
  }])
}

resource "aws_ecs_service" "webhooks" {
  name                   = "webhooks"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.webhooks.arn
  desired_count          = var.webhook_min_tasks
  launch_type            = "FARGATE"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.webhooks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.webhooks.arn
    container_name   = "webhooks"
    container_port   = local.webhook_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling
  }
  depends_on = [aws_lb_listener_rule.webhooks]
}

resource "aws_appautoscaling_target" "webhooks" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.webhooks.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.webhook_min_tasks
  max_capacity       = var.webhook_max_tasks
}

# A burst of notices (a bulk edit at an agency) scales out on requests per task.
resource "aws_appautoscaling_policy" "webhooks_requests" {
  name               = "${var.name}-webhooks-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.webhooks.service_namespace
  resource_id        = aws_appautoscaling_target.webhooks.resource_id
  scalable_dimension = aws_appautoscaling_target.webhooks.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.webhook_requests_per_task
    scale_in_cooldown  = 300
    scale_out_cooldown = 30
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.webserver.arn_suffix}/${aws_lb_target_group.webhooks.arn_suffix}"
    }
  }
}
