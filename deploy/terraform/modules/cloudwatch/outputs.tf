output "api_log_group_name" {
  description = "Log group of the API containers."
  value       = aws_cloudwatch_log_group.api.name
}

output "worker_log_group_name" {
  description = "Log group of the worker and migrate containers."
  value       = aws_cloudwatch_log_group.worker.name
}

output "app_log_group_arns" {
  description = "ARNs of the application log groups."
  value       = [aws_cloudwatch_log_group.api.arn, aws_cloudwatch_log_group.worker.arn]
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = aws_sns_topic.alarms.arn
}
