"""The platform's CloudWatch metrics: their names (one catalogue that the code, the
Terraform alarms and the dashboard share) and the Embedded Metric Format lines runs
write to stdout, which CloudWatch Logs turns into metrics in AWS."""
