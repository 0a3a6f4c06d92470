output "glue_database" {
  description = "Glue database with the property, landlord, tenant and tenancy tables."
  value       = aws_glue_catalog_database.lake.name
}

output "athena_workgroup" {
  description = "Athena workgroup to query the lake with (results encrypted)."
  value       = aws_athena_workgroup.lake.name
}
