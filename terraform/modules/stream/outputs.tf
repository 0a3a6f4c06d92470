output "stream_name" {
  description = "The Kinesis stream's name (PMS_STREAM_NAME)."
  value       = aws_kinesis_stream.events.name
}

output "stream_arn" {
  description = "The Kinesis stream's ARN."
  value       = aws_kinesis_stream.events.arn
}

output "firehose_name" {
  description = "The Firehose delivery stream's name (PMS_FIREHOSE_STREAM)."
  value       = aws_kinesis_firehose_delivery_stream.handled_events.name
}

output "firehose_arn" {
  description = "The Firehose delivery stream's ARN."
  value       = aws_kinesis_firehose_delivery_stream.handled_events.arn
}
