output "repository_url" {
  description = "Where CI pushes the image: <account>.dkr.ecr.<region>.amazonaws.com/<name>."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "The repository's ARN (for pull permissions)."
  value       = aws_ecr_repository.this.arn
}
