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

output "alarm_names" {
  description = "Names of every alarm of the environment."
  value = concat(
    [for a in [
      aws_cloudwatch_metric_alarm.error_rate, aws_cloudwatch_metric_alarm.latency,
      aws_cloudwatch_metric_alarm.db_connection_errors, aws_cloudwatch_metric_alarm.queue_backlog,
      aws_cloudwatch_metric_alarm.alb_5xx, aws_cloudwatch_metric_alarm.no_healthy_targets,
      aws_cloudwatch_metric_alarm.unhealthy_targets, aws_cloudwatch_metric_alarm.import_failures,
      aws_cloudwatch_metric_alarm.db_cpu, aws_cloudwatch_metric_alarm.db_free_storage,
    ] : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.running_tasks : a.alarm_name],
  )
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    log_groups = { api = aws_cloudwatch_log_group.api, worker = aws_cloudwatch_log_group.worker }
    alarms = merge({
      error_rate           = aws_cloudwatch_metric_alarm.error_rate
      latency              = aws_cloudwatch_metric_alarm.latency
      db_connection_errors = aws_cloudwatch_metric_alarm.db_connection_errors
      queue_backlog        = aws_cloudwatch_metric_alarm.queue_backlog
      alb_5xx              = aws_cloudwatch_metric_alarm.alb_5xx
      no_healthy_targets   = aws_cloudwatch_metric_alarm.no_healthy_targets
      unhealthy_targets    = aws_cloudwatch_metric_alarm.unhealthy_targets
      import_failures      = aws_cloudwatch_metric_alarm.import_failures
      db_cpu               = aws_cloudwatch_metric_alarm.db_cpu
      db_free_storage      = aws_cloudwatch_metric_alarm.db_free_storage
    }, { for k, a in aws_cloudwatch_metric_alarm.running_tasks : "${k}_running_tasks" => a })
    budget = aws_budgets_budget.monthly
  }
}
