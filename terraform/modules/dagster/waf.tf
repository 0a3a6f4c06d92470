# A web ACL in front of the load balancer. The webhook path is open to the internet
# (vendors publish no addresses, webhooks.tf), so each source address is capped at
# waf_requests_per_address requests per 5 minutes and known-bad inputs (Log4j-style
# lookups, exploit paths) are refused before they reach a task. The UI keeps its own
# gates behind it (allowed_cidrs, then Cognito). No size rule: Reapit's notices carry
# the record, and the receiver bounds bodies itself (256 KiB, a 413).
locals {
  waf_metric = replace("${var.name}-alb", "/[^A-Za-z0-9_-]/", "-")
}

resource "aws_wafv2_web_acl" "alb" {
  name        = "${var.name}-alb"
  description = "Rate cap per address and known-bad inputs, in front of the UI and the webhook receiver"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "requests-per-address"
    priority = 1
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.waf_requests_per_address
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.waf_metric}-requests-per-address"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "known-bad-inputs"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.waf_metric}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = local.waf_metric
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "alb" {
  resource_arn = aws_lb.webserver.arn
  web_acl_arn  = aws_wafv2_web_acl.alb.arn
}

# WAF logs to CloudWatch need a group whose name starts with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "alb" {
  resource_arn            = aws_wafv2_web_acl.alb.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]
}
