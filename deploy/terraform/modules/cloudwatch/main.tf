# Log groups of the containers and the alarms of the deployment plan.
#
# The application writes CloudWatch Embedded Metric Format lines (LOG_EMF=true)
# to stdout; CloudWatch Logs turns them into metrics in namespace TvShows:
#   RequestCount, Error5xxCount   (count per request)
#   Latency                       (ms per request)
#   DbConnectionErrors            (count)
#   QueueDepth                    (jobs waiting, gauge)
#   ImportFailures                (count)

locals {
  # Production keeps the plan's names; other environments get a suffix so
  # that several can share an account.
  log_suffix = var.environment == "production" ? "" : "-${var.environment}"
  dims       = var.metric_dimensions
  actions    = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/ecs/tv-shows-api${local.log_suffix}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "worker" {
  name              = "/aws/ecs/tv-shows-worker${local.log_suffix}"
  retention_in_days = var.log_retention_days
}

# Encrypted with a key CloudWatch may use: alarms cannot publish to a topic
# encrypted with the AWS-managed aws/sns key.
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "alarm_key" {
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishes"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description         = "${var.name_prefix} alarm topic"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.alarm_key.json
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

###############################################################################
# The four alarms of the deployment plan
###############################################################################

# High error rate: more than 5 % of requests answered 5xx over 5 minutes.
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "${var.name_prefix}-api-error-rate"
  alarm_description   = "More than ${var.error_rate_threshold} % of API requests answered 5xx over 5 minutes. Runbook: docs/runbooks/api-failures.md"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "error_rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx responses (%)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = var.metric_namespace
      metric_name = "Error5xxCount"
      dimensions  = local.dims
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = var.metric_namespace
      metric_name = "RequestCount"
      dimensions  = local.dims
      period      = 300
      stat        = "Sum"
    }
  }
}

# High response time: average latency above 2 s over 5 minutes.
resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "${var.name_prefix}-api-latency"
  alarm_description   = "Average API latency above ${var.latency_threshold_ms} ms over 5 minutes. Runbooks: docs/runbooks/scaling-issues.md, docs/runbooks/database-performance.md"
  namespace           = var.metric_namespace
  metric_name         = "Latency"
  dimensions          = local.dims
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_threshold_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# Database connection failures: any in 5 minutes.
resource "aws_cloudwatch_metric_alarm" "db_connection_errors" {
  alarm_name          = "${var.name_prefix}-db-connection-errors"
  alarm_description   = "The application failed to connect to PostgreSQL. Runbook: docs/runbooks/database-performance.md"
  namespace           = var.metric_namespace
  metric_name         = "DbConnectionErrors"
  dimensions          = local.dims
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# Queue backlog: more than 100 jobs waiting. The nightly import enqueues one
# job per (day, source), about 180 with the defaults, drained in minutes; the
# alarm fires only when the backlog stays above the threshold (its minimum
# over each of three 5-minute periods).
resource "aws_cloudwatch_metric_alarm" "queue_backlog" {
  alarm_name          = "${var.name_prefix}-queue-backlog"
  alarm_description   = "More than ${var.queue_backlog_threshold} jobs waiting for 15 minutes. Runbook: docs/runbooks/scaling-issues.md"
  namespace           = var.metric_namespace
  metric_name         = "QueueDepth"
  dimensions          = local.dims
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.queue_backlog_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

###############################################################################
# Supporting alarms
###############################################################################

resource "aws_cloudwatch_metric_alarm" "import_failures" {
  alarm_name          = "${var.name_prefix}-import-failures"
  alarm_description   = "An import job failed for good (dead list). Runbook: docs/runbooks/api-failures.md"
  namespace           = var.metric_namespace
  metric_name         = "ImportFailures"
  dimensions          = local.dims
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  alarm_name          = "${var.name_prefix}-alb-unhealthy-targets"
  alarm_description   = "API tasks failing the /up health check. Runbook: docs/runbooks/api-failures.md"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = var.target_group_suffix
  }
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "${var.name_prefix}-db-cpu"
  alarm_description   = "RDS CPU above 80 % for 15 minutes. Runbook: docs/runbooks/database-performance.md"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    DBInstanceIdentifier = var.db_instance_id
  }
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  alarm_name          = "${var.name_prefix}-db-free-storage"
  alarm_description   = "RDS free storage below 10 % of the initial allocation. Runbook: docs/runbooks/database-performance.md"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.db_allocated_storage * 0.1 * 1073741824
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    DBInstanceIdentifier = var.db_instance_id
  }
}
