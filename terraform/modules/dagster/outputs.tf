output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "task_security_group_id" {
  description = "Security group of the Dagster tasks (RDS admits it)."
  value       = aws_security_group.tasks.id
}

output "webhook_security_group_id" {
  description = "Security group of the webhook receiver tasks (RDS admits it)."
  value       = aws_security_group.webhooks.id
}

output "load_balancer_dns_name" {
  description = "Point webserver_domain (CNAME) here."
  value       = aws_lb.webserver.dns_name
}

output "cognito_user_pool_id" {
  description = "User pool operators sign in with (create users with admin-create-user)."
  value       = aws_cognito_user_pool.operators.id
}

output "migrate_task_definition" {
  description = "Family of the migration task."
  value       = aws_ecs_task_definition.migrate.family
}

output "run_task_definition" {
  description = "Family of the run task the EcsRunLauncher starts."
  value       = aws_ecs_task_definition.run.family
}

output "log_groups" {
  description = "CloudWatch log groups by task."
  value       = { for key, group in aws_cloudwatch_log_group.task : key => group.name }
}

output "service_names" {
  description = "ECS service names by role (the monitoring module's running-task alarms)."
  value = {
    webserver     = aws_ecs_service.webserver.name
    daemon        = aws_ecs_service.daemon.name
    code_location = aws_ecs_service.code_location.name
    webhooks      = aws_ecs_service.webhooks.name
  }
}
