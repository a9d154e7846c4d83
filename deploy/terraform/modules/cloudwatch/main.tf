# Log groups of the containers, the alarms of the deployment plan, the alarms
# that see an outage, and the environment's cost budget.
#
# The application writes CloudWatch Embedded Metric Format lines (LOG_EMF=true)
# to stdout every EMF_INTERVAL, with or without traffic; CloudWatch Logs
# turns them into metrics in namespace TvShows with the dimensions
# Environment (METRICS_ENVIRONMENT) and Service (METRICS_SERVICE: api,
# worker), so that environments sharing an account never trip each other's
# alarms:
#   RequestCount, Error5xxCount   (count)            Service=api
#   DbConnectionErrors            (count)            api and worker
#   QueueDepth                    (jobs waiting)     Service=worker
#   ImportFailures                (count)            Service=worker
#
# Missing data: where the metric is written every interval by a running
# task, silence means no task runs and the alarm breaches; where a metric
# exists only with traffic (the load balancer's, CloudFront's), silence is
# quiet.

locals {
  # Production keeps the plan's names; other environments get a suffix so
  # that several can share an account.
  log_suffix = var.environment == "production" ? "" : "-${var.environment}"
  api        = { Environment = var.environment, Service = "api" }
  worker     = { Environment = var.environment, Service = "worker" }
  actions    = [aws_sns_topic.alarms.arn]
  alb        = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_suffix }
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
    sid       = "CloudWatchAndBudgetsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
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
# The API writes RequestCount every interval, also without traffic: no data
# at all means no API task is running, which breaches.
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "${var.name_prefix}-api-error-rate"
  alarm_description   = "More than ${var.error_rate_threshold} % of API requests answered 5xx over 5 minutes, or no API task reports metrics. Runbook: docs/runbooks/api-failures.md"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_threshold
  evaluation_periods  = 1
  treat_missing_data  = "breaching"
  actions_enabled     = !var.bootstrap
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
      dimensions  = local.api
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = var.metric_namespace
      metric_name = "RequestCount"
      dimensions  = local.api
      period      = 300
      stat        = "Sum"
    }
  }
}

# High response time: the 99th percentile of the time the tasks take to
# answer, per request as the load balancer measured it (a percentile of
# requests, not an average of per-task averages), above 2 s over 5 minutes.
resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "${var.name_prefix}-api-latency"
  alarm_description   = "${upper(var.latency_percentile)} API response time above ${var.latency_threshold_ms} ms over 5 minutes. Runbooks: docs/runbooks/scaling-issues.md, docs/runbooks/database-performance.md"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.alb
  extended_statistic  = var.latency_percentile
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_threshold_ms / 1000
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# Database connection failures: any in 5 minutes, from the API or the
# worker. Silence is covered by the error-rate and queue alarms.
resource "aws_cloudwatch_metric_alarm" "db_connection_errors" {
  alarm_name          = "${var.name_prefix}-db-connection-errors"
  alarm_description   = "The application failed to connect to PostgreSQL. Runbook: docs/runbooks/database-performance.md"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "failures"
    expression  = "FILL(api, 0) + FILL(worker, 0)"
    label       = "PostgreSQL connection failures"
    return_data = true
  }

  metric_query {
    id = "api"
    metric {
      namespace   = var.metric_namespace
      metric_name = "DbConnectionErrors"
      dimensions  = local.api
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "worker"
    metric {
      namespace   = var.metric_namespace
      metric_name = "DbConnectionErrors"
      dimensions  = local.worker
      period      = 300
      stat        = "Sum"
    }
  }
}

# Queue backlog: more than 100 jobs waiting. The nightly import enqueues one
# job per (day, source), about 180 with the defaults, drained in minutes; the
# alarm fires only when the backlog stays above the threshold (its minimum
# over each of three 5-minute periods). The worker writes QueueDepth every
# interval: no data means no worker runs (or it cannot see the queue),
# which breaches.
resource "aws_cloudwatch_metric_alarm" "queue_backlog" {
  alarm_name          = "${var.name_prefix}-queue-backlog"
  alarm_description   = "More than ${var.queue_backlog_threshold} jobs waiting for 15 minutes, or no worker reports the queue. Runbook: docs/runbooks/scaling-issues.md"
  namespace           = var.metric_namespace
  metric_name         = "QueueDepth"
  dimensions          = local.worker
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.queue_backlog_threshold
  treat_missing_data  = "breaching"
  actions_enabled     = !var.bootstrap
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

###############################################################################
# Outage: what the platform sees when the application says nothing
###############################################################################

# 5xx the load balancer answers itself (502/503/504: no healthy target,
# targets failing or too slow), as a share of all its requests.
resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${var.name_prefix}-alb-5xx"
  alarm_description   = "More than ${var.error_rate_threshold} % of requests answered 5xx by the load balancer itself over 5 minutes. Runbook: docs/runbooks/api-failures.md"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * FILL(elb5xx, 0) / requests, 0)"
    label       = "Load balancer 5xx (%)"
    return_data = true
  }

  metric_query {
    id = "elb5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }
}

# No healthy target at all: the API is down whatever else is true. The load
# balancer publishes the count every minute; no data means the target group
# is not served at all, which breaches.
resource "aws_cloudwatch_metric_alarm" "no_healthy_targets" {
  alarm_name          = "${var.name_prefix}-alb-no-healthy-targets"
  alarm_description   = "No API task passes the /up health check (HealthyHostCount < 1 for 2 minutes). Runbook: docs/runbooks/api-failures.md"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = local.alb
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  actions_enabled     = !var.bootstrap
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  alarm_name          = "${var.name_prefix}-alb-unhealthy-targets"
  alarm_description   = "API tasks failing the /up health check. Runbook: docs/runbooks/api-failures.md"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = local.alb
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# Running tasks per service (Container Insights, on for the cluster): none
# running, or no report at all, is an outage of that service.
resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  for_each = {
    api    = var.api_service_name
    worker = var.worker_service_name
  }

  alarm_name          = "${var.name_prefix}-${each.key}-running-tasks"
  alarm_description   = "No ${each.key} task running (RunningTaskCount < 1 for 2 minutes). Runbooks: docs/runbooks/api-failures.md, docs/runbooks/scaling-issues.md"
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  actions_enabled     = !var.bootstrap
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    ClusterName = var.cluster_name
    ServiceName = each.value
  }
}

###############################################################################
# Supporting alarms
###############################################################################

resource "aws_cloudwatch_metric_alarm" "import_failures" {
  alarm_name          = "${var.name_prefix}-import-failures"
  alarm_description   = "An import job failed for good (dead list). Runbook: docs/runbooks/api-failures.md"
  namespace           = var.metric_namespace
  metric_name         = "ImportFailures"
  dimensions          = local.worker
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
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

###############################################################################
# Cost (plan: Cost Monitoring): a monthly budget of this environment's
# resources (cost allocation tag Environment, activated once per account),
# notified on the alarm topic at 80 % of actual and 100 % of forecast spend.
###############################################################################

data "aws_iam_policy_document" "alarm_topic" {
  statement {
    sid       = "CloudWatchAndBudgetsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarm_topic.json
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = ["user:Environment$${var.environment}"]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.alarms.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [aws_sns_topic.alarms.arn]
  }

  depends_on = [aws_sns_topic_policy.alarms]
}
