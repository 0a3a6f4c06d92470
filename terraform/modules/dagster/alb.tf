# The webserver is reached only through this load balancer: HTTPS, from allowed_cidrs,
# every request authenticated by Cognito before it is forwarded; plain HTTP only
# redirects. The webhook receiver shares it on POST /webhooks/* (webhooks.tf), and a
# web ACL stands in front of both (waf.tf). With
# webserver_internal = true the balancer is also off the internet (VPN / peered VPC
# only), which vendors' webhooks cannot reach.
resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Dagster UI load balancer"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.allowed_cidrs)
  security_group_id = aws_security_group.alb.id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS to the Dagster UI"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_webserver" {
  security_group_id            = aws_security_group.alb.id
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 3000
  to_port                      = 3000
  description                  = "Forward to the webserver tasks"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_cognito" {
  security_group_id = aws_security_group.alb.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "Cognito token endpoint (authentication)"
}

resource "aws_lb" "webserver" {
  name                       = "${var.name}-ui"
  load_balancer_type         = "application"
  internal                   = var.webserver_internal
  subnets                    = var.webserver_internal ? var.private_subnet_ids : var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = true

  access_logs {
    bucket  = var.access_log_bucket_name
    prefix  = "alb/${var.name}"
    enabled = true
  }
}

resource "aws_lb_target_group" "webserver" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer (TLS 1.3 policy); targets are in private subnets and accept only the balancer's security group.
  name        = "${var.name}-webserver"
  port        = 3000
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path                = "/server_info"
    matcher             = "200"
    interval            = 30
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.webserver.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  # Only the listener rules answer (webhooks.tf): POST /webhooks/* to the receiver, the
  # UI to allowed_cidrs after sign-in. Anything else is refused.
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "Forbidden"
      status_code  = "403"
    }
  }
}

# ---- who may sign in: operators created by an admin, no self sign-up, MFA required
resource "aws_cognito_user_pool" "operators" {
  name                     = "${var.name}-operators"
  mfa_configuration        = "ON"
  deletion_protection      = "ACTIVE"
  auto_verified_attributes = ["email"]
  username_attributes      = ["email"]

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  software_token_mfa_configuration {
    enabled = true
  }

  password_policy {
    minimum_length    = 14
    require_lowercase = true
    require_uppercase = true
    require_numbers   = true
    require_symbols   = true
  }
}

resource "aws_cognito_user_pool_domain" "operators" {
  domain       = "${var.name}-dagster-${data.aws_caller_identity.current.account_id}"
  user_pool_id = aws_cognito_user_pool.operators.id
}

resource "aws_cognito_user_pool_client" "dagster" {
  name                                 = "dagster-webserver"
  user_pool_id                         = aws_cognito_user_pool.operators.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = ["https://${var.webserver_domain}/oauth2/idpresponse"]
  prevent_user_existence_errors        = "ENABLED"
}
