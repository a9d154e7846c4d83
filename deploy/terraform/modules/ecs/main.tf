# ECS on Fargate: the cluster, the API service (behind the ALB), the worker
# service, the one-shot migrate task definition and auto scaling.
#
# Deployments register new task definition revisions (the pipeline copies
# the latest revision of each family and swaps the image), so the services
# ignore task_definition drift: Terraform owns the shape of the tasks, the
# pipeline owns which image runs.
#
# First deployment: with bootstrap = true both services are created with no
# task and auto scaling held at zero, so that nothing starts before
# `tvshows migrate` has created the schema (serve and worker refuse an
# empty database); the next apply with bootstrap = false lets auto scaling
# raise them to their floors. docs/deployment.md has the commands.

locals {
  cluster_name = "${var.name_prefix}-cluster"

  api_min    = var.bootstrap ? 0 : var.api_min_count
  api_max    = var.bootstrap ? 0 : var.api_max_count
  worker_min = var.bootstrap ? 0 : var.worker_min_count
  worker_max = var.bootstrap ? 0 : var.worker_max_count

  # Plain settings of one container: the shared ones plus its own.
  env = { for role in ["api", "worker", "migrate"] : role => [
    for k, v in merge(var.environment, var.role_environment[role], {
      METRICS_SERVICE   = role
      OTEL_SERVICE_NAME = "${var.name_prefix}-${role}"
    }) : { name = k, value = v }
  ] }

  log_options = {
    "awslogs-region" = var.region
    # Logging must never block the event loop: buffer in the agent.
    "mode"            = "non-blocking"
    "max-buffer-size" = "25m"
  }

  # AWS Distro for OpenTelemetry: receives OTLP/HTTP on localhost:4318 from
  # the application and forwards the spans to X-Ray. Not essential: traces
  # are lost when it stops, requests are not.
  collector = var.tracing_enabled ? [{
    name                   = "otel-collector"
    image                  = var.otel_collector_image
    essential              = false
    command                = ["--config=/etc/ecs/ecs-default-config.yaml"]
    readonlyRootFilesystem = false
    memoryReservation      = 64
    logConfiguration = {
      logDriver = "awslogs"
      options = merge(local.log_options, {
        "awslogs-group"         = var.worker_log_group
        "awslogs-stream-prefix" = "otel"
      })
    }
  }] : []
  after_collector = var.tracing_enabled ? [{ containerName = "otel-collector", condition = "START" }] : []
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

###############################################################################
# Task definitions
###############################################################################

resource "aws_ecs_task_definition" "api" {
  family                   = "${var.name_prefix}-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.api_cpu
  memory                   = var.api_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode(concat([{
    name                   = "tv-shows-api"
    image                  = var.image
    essential              = true
    command                = ["serve", "--no-worker"]
    readonlyRootFilesystem = true
    stopTimeout            = 30
    portMappings = [{
      containerPort = var.app_port
      protocol      = "tcp"
    }]
    environment = local.env.api
    secrets     = var.app_secrets
    dependsOn   = local.after_collector
    ulimits = [{
      name      = "nofile"
      softLimit = 65536
      hardLimit = 65536
    }]
    healthCheck = {
      command     = ["CMD", "tvshows", "healthcheck"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 15
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = merge(local.log_options, {
        "awslogs-group"         = var.api_log_group
        "awslogs-stream-prefix" = "api"
      })
    }
  }], local.collector))
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name_prefix}-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode(concat([{
    name                   = "tv-shows-worker"
    image                  = var.image
    essential              = true
    command                = ["worker"]
    readonlyRootFilesystem = true
    # A running import day is one transaction; let it finish or roll back.
    stopTimeout = 60
    environment = local.env.worker
    secrets     = var.app_secrets
    dependsOn   = local.after_collector
    logConfiguration = {
      logDriver = "awslogs"
      options = merge(local.log_options, {
        "awslogs-group"         = var.worker_log_group
        "awslogs-stream-prefix" = "worker"
      })
    }
  }], local.collector))
}

# Run by the pipeline before the services are updated (aws ecs run-task);
# also the family to run one-off CLI commands with a command override
# (tvshows migrate --status, tvshows jobs stats, tvshows import …), see
# deploy/bin/oneoff and docs/runbooks/. It connects as the master user.
resource "aws_ecs_task_definition" "migrate" {
  family                   = "${var.name_prefix}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([{
    name                   = "tv-shows-migrate"
    image                  = var.image
    essential              = true
    command                = ["migrate"]
    readonlyRootFilesystem = true
    environment            = local.env.migrate
    secrets                = var.migrate_secrets
    logConfiguration = {
      logDriver = "awslogs"
      options = merge(local.log_options, {
        "awslogs-group"         = var.worker_log_group
        "awslogs-stream-prefix" = "migrate"
      })
    }
  }])
}

###############################################################################
# Services
###############################################################################

resource "aws_ecs_service" "api" {
  name                              = "${var.name_prefix}-api"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.api.arn
  desired_count                     = local.api_min
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = "tv-shows-api"
    container_port   = var.app_port
  }

  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }
}

resource "aws_ecs_service" "worker" {
  name                    = "${var.name_prefix}-worker"
  cluster                 = aws_ecs_cluster.this.id
  task_definition         = aws_ecs_task_definition.worker.arn
  desired_count           = local.worker_min
  launch_type             = "FARGATE"
  platform_version        = "LATEST"
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  # Jobs are at-least-once: a stopped worker's jobs are redelivered after
  # JOB_VISIBILITY_TIMEOUT, so replacing workers one at a time is safe.
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }
}

###############################################################################
# Auto scaling (deployment plan: CPU 70 %, memory 80 %, 1000 requests per
# target; scale-out cooldown 300 s, scale-in 900 s)
###############################################################################

resource "aws_appautoscaling_target" "api" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.api.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = local.api_min
  max_capacity       = local.api_max
}

resource "aws_appautoscaling_policy" "api_cpu" {
  name               = "${var.name_prefix}-api-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target
    scale_out_cooldown = var.scale_out_cooldown
    scale_in_cooldown  = var.scale_in_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "api_memory" {
  name               = "${var.name_prefix}-api-memory"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.memory_target
    scale_out_cooldown = var.scale_out_cooldown
    scale_in_cooldown  = var.scale_in_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "api_requests" {
  name               = "${var.name_prefix}-api-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_out_cooldown = var.scale_out_cooldown
    scale_in_cooldown  = var.scale_in_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
    }
  }
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = local.worker_min
  max_capacity       = local.worker_max
}

resource "aws_appautoscaling_policy" "worker_cpu" {
  name               = "${var.name_prefix}-worker-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target
    scale_out_cooldown = var.scale_out_cooldown
    scale_in_cooldown  = var.scale_in_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

###############################################################################
# Business hours (plan: "Scale In Protection: true (during business hours)"):
# the floor rises to business_hours_min_count on weekday mornings, so scale-in
# cannot go below it, and falls back to api_min_count in the evening. Not
# while bootstrapping: nothing may start before the schema exists.
###############################################################################

resource "aws_appautoscaling_scheduled_action" "api_business_hours_start" {
  count = !var.bootstrap && var.business_hours_min_count > local.api_min ? 1 : 0

  name               = "${var.name_prefix}-api-business-hours-start"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  schedule           = var.business_hours_start
  timezone           = var.business_hours_timezone

  scalable_target_action {
    min_capacity = var.business_hours_min_count
    max_capacity = local.api_max
  }
}

resource "aws_appautoscaling_scheduled_action" "api_business_hours_end" {
  count = !var.bootstrap && var.business_hours_min_count > local.api_min ? 1 : 0

  name               = "${var.name_prefix}-api-business-hours-end"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  schedule           = var.business_hours_end
  timezone           = var.business_hours_timezone

  scalable_target_action {
    min_capacity = local.api_min
    max_capacity = local.api_max
  }

  # one change of the scalable target at a time
  depends_on = [aws_appautoscaling_scheduled_action.api_business_hours_start]
}
