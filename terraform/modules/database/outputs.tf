output "address" {
  description = "Hostname of the instance (private)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_db_instance.this.port
}

output "master_secret_arn" {
  description = "Secrets Manager secret with the pms_admin master credentials (managed by RDS)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "The database's security group."
  value       = aws_security_group.db.id
}

output "instance_id" {
  description = "The RDS instance identifier (CloudWatch's DBInstanceIdentifier)."
  value       = aws_db_instance.this.identifier
}
