# The deployment plan's values, per environment, on the plan Terraform
# makes from environments/<env>.tfvars with a mocked AWS provider (nothing
# is created; every resource is planned and "applied" in memory).
#
#   terraform test -var-file=environments/production.tfvars
#
# scripts/check-infra runs it once per environment. The table below is the
# plan ("Resource Sizing", "RDS", "ElastiCache", "Auto Scaling", "Cost").

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "us_east_1"
  source          = "./tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "dr"
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  image_tag = "0123456789abcdef0123456789abcdef01234567"

  expect = {
    dev = {
      api            = [256, 512], worker = [256, 512], api_scaling = [1, 2]
      db_class       = "db.t3.micro", db_storage = 20, multi_az = false, protected = false, replicas = 0
      cache_node     = "cache.t3.micro", cache_nodes = 1, log_days = 7, budget = 75
      business_hours = 0, cloudfront = false, cross_region = false, deploy_role = false, baseline = false
    }
    staging = {
      api            = [512, 1024], worker = [512, 1024], api_scaling = [1, 4]
      db_class       = "db.t3.small", db_storage = 50, multi_az = false, protected = true, replicas = 0
      cache_node     = "cache.t3.small", cache_nodes = 2, log_days = 7, budget = 200
      business_hours = 0, cloudfront = false, cross_region = false, deploy_role = true, baseline = false
    }
    production = {
      api            = [1024, 2048], worker = [512, 1024], api_scaling = [2, 20]
      db_class       = "db.t3.medium", db_storage = 100, multi_az = true, protected = true, replicas = 2
      cache_node     = "cache.r6g.large", cache_nodes = 3, log_days = 30, budget = 600
      business_hours = 4, cloudfront = true, cross_region = true, deploy_role = true, baseline = true
    }
  }
}

run "environment" {
  command = plan

  # ------------------------------------------------------------ network

  assert {
    condition     = nonsensitive(module.vpc.resources).vpc.cidr_block == "10.0.0.0/16"
    error_message = "VPC CIDR is not 10.0.0.0/16"
  }

  assert {
    condition = (
      nonsensitive(module.vpc.resources).public_subnets[*].cidr_block == ["10.0.1.0/24", "10.0.2.0/24"] &&
      nonsensitive(module.vpc.resources).private_subnets[*].cidr_block == ["10.0.10.0/24", "10.0.20.0/24", "10.0.30.0/24"]
    )
    error_message = "subnets differ from the plan's VPC architecture"
  }

  assert {
    condition     = length(nonsensitive(module.vpc.resources).nat_gateways) == (var.environment == "production" ? 2 : 1)
    error_message = "NAT gateways: one per AZ in production, one elsewhere"
  }

  assert {
    condition     = nonsensitive(module.vpc.resources).flow_log.traffic_type == "ALL"
    error_message = "VPC flow logs must record all traffic"
  }

  assert {
    # from outside the VPC only replies (ephemeral ports) come in
    condition = alltrue([for r in nonsensitive(module.vpc.resources).nacl_ingress :
      r.cidr_block == "10.0.0.0/16" || (r.from_port == 1024 && r.to_port == 65535)
    ])
    error_message = "private NACL: ingress from outside the VPC other than replies"
  }

  assert {
    condition = alltrue([for r in nonsensitive(module.vpc.resources).nacl_egress :
      r.cidr_block == "10.0.0.0/16" || (r.from_port == 443 && r.to_port == 443)
    ])
    error_message = "private NACL: egress outside the VPC other than HTTPS"
  }

  assert {
    condition = sort([for e in nonsensitive(module.vpc.resources).endpoints : e.service_name]) == tolist([
      "com.amazonaws.us-east-1.ecr.api", "com.amazonaws.us-east-1.ecr.dkr",
      "com.amazonaws.us-east-1.logs", "com.amazonaws.us-east-1.secretsmanager",
    ])
    error_message = "interface endpoints for ECR (api, dkr), Secrets Manager and Logs: ${jsonencode([for e in nonsensitive(module.vpc.resources).endpoints : e.service_name])}"
  }

  assert {
    condition = alltrue([for e in nonsensitive(module.vpc.resources).endpoints :
    e.vpc_endpoint_type == "Interface" && e.private_dns_enabled])
    error_message = "interface endpoints with private DNS"
  }

  # ------------------------------------------------------------ RDS

  assert {
    condition = (
      nonsensitive(module.database.resources).primary.engine == "postgres" &&
      startswith(nonsensitive(module.database.resources).primary.engine_version, "15") &&
      nonsensitive(module.database.resources).primary.instance_class == var.expect[var.environment].db_class &&
      nonsensitive(module.database.resources).primary.storage_type == "gp3" &&
      nonsensitive(module.database.resources).primary.allocated_storage == var.expect[var.environment].db_storage &&
      nonsensitive(module.database.resources).primary.max_allocated_storage == 1000 &&
      nonsensitive(module.database.resources).primary.storage_encrypted
    )
    error_message = "RDS: PostgreSQL 15, instance class, gp3 storage and encryption per the plan"
  }

  assert {
    condition = (
      nonsensitive(module.database.resources).primary.backup_retention_period == 7 &&
      nonsensitive(module.database.resources).primary.backup_window == "03:00-04:00" &&
      nonsensitive(module.database.resources).primary.maintenance_window == "sun:04:00-sun:05:00" &&
      nonsensitive(module.database.resources).primary.performance_insights_enabled
    )
    error_message = "RDS: backups 7 days 03:00-04:00, maintenance Sun 04:00-05:00, Performance Insights"
  }

  assert {
    condition = (
      nonsensitive(module.database.resources).primary.multi_az == var.expect[var.environment].multi_az &&
      nonsensitive(module.database.resources).primary.deletion_protection == var.expect[var.environment].protected &&
      !nonsensitive(module.database.resources).primary.publicly_accessible
    )
    error_message = "RDS: Multi-AZ and deletion protection per environment, never public"
  }

  assert {
    # RDS keeps and rotates the master password; none is in the state
    condition = (
      nonsensitive(module.database.resources).primary.manage_master_user_password &&
      nonsensitive(module.database.resources).primary.password == null &&
      nonsensitive(module.database.resources).rotation.rotation_rules[0].automatically_after_days == 7
    )
    error_message = "RDS: master password managed by RDS, rotated every 7 days, not in the state"
  }

  assert {
    condition = (
      length(nonsensitive(module.database.resources).replicas) == var.expect[var.environment].replicas &&
      alltrue([for r in nonsensitive(module.database.resources).replicas :
      r.storage_encrypted && !r.publicly_accessible && r.instance_class == var.expect[var.environment].db_class])
    )
    error_message = "RDS: read replicas per environment (two in production), encrypted, private"
  }

  assert {
    condition = anytrue([for p in nonsensitive(module.database.resources).parameter.parameter :
    p.name == "rds.force_ssl" && p.value == "1"])
    error_message = "RDS: TLS is required (rds.force_ssl)"
  }

  # ------------------------------------------------------------ ElastiCache

  assert {
    condition = (
      nonsensitive(module.cache.resources).group.node_type == var.expect[var.environment].cache_node &&
      nonsensitive(module.cache.resources).group.num_cache_clusters == var.expect[var.environment].cache_nodes &&
      startswith(nonsensitive(module.cache.resources).group.engine_version, "7") &&
      nonsensitive(module.cache.resources).group.automatic_failover_enabled == (var.expect[var.environment].cache_nodes > 1) &&
      nonsensitive(module.cache.resources).group.multi_az_enabled == (var.expect[var.environment].cache_nodes > 1)
    )
    error_message = "ElastiCache: Redis 7, node type and count, failover where there are replicas"
  }

  assert {
    condition = (
      nonsensitive(module.cache.resources).group.at_rest_encryption_enabled &&
      nonsensitive(module.cache.resources).group.transit_encryption_enabled
    )
    error_message = "ElastiCache: encrypted at rest and in transit"
  }

  assert {
    condition = (
      nonsensitive(module.cache.resources).group.snapshot_retention_limit == 5 &&
      nonsensitive(module.cache.resources).group.snapshot_window == "05:00-06:00" &&
      nonsensitive(module.cache.resources).group.maintenance_window == "sun:06:00-sun:07:00"
    )
    error_message = "ElastiCache: daily backups 05:00-06:00 kept 5 days, maintenance Sun 06:00-07:00"
  }

  # ------------------------------------------------------------ ECS

  assert {
    condition = (
      [tonumber(nonsensitive(module.ecs.resources).task_definitions.api.cpu), tonumber(nonsensitive(module.ecs.resources).task_definitions.api.memory)] == var.expect[var.environment].api &&
      [tonumber(nonsensitive(module.ecs.resources).task_definitions.worker.cpu), tonumber(nonsensitive(module.ecs.resources).task_definitions.worker.memory)] == var.expect[var.environment].worker &&
      [tonumber(nonsensitive(module.ecs.resources).task_definitions.migrate.cpu), tonumber(nonsensitive(module.ecs.resources).task_definitions.migrate.memory)] == var.expect[var.environment].worker
    )
    error_message = "ECS: task CPU and memory per the plan's resource sizing"
  }

  assert {
    condition = (
      jsondecode(nonsensitive(module.ecs.resources).task_definitions.api.container_definitions)[0].command == ["serve", "--no-worker"] &&
      jsondecode(nonsensitive(module.ecs.resources).task_definitions.worker.container_definitions)[0].command == ["worker"] &&
      jsondecode(nonsensitive(module.ecs.resources).task_definitions.migrate.container_definitions)[0].command == ["migrate"] &&
      jsondecode(nonsensitive(module.ecs.resources).task_definitions.api.container_definitions)[0].healthCheck.command == ["CMD", "tvshows", "healthcheck"]
    )
    error_message = "ECS: serve --no-worker with the healthcheck, worker, migrate"
  }

  assert {
    condition = alltrue([for role, td in nonsensitive(module.ecs.resources).task_definitions :
      jsondecode(td.container_definitions)[0].image == "${aws_ecr_repository.app.repository_url}:${var.image_tag}"
    ])
    error_message = "ECS: every task runs the image of this commit from this environment's repository"
  }

  assert {
    # every database URL verifies the server against the image's CA bundle
    # and carries no password; the API and worker connect as the app role
    condition = alltrue(flatten([for role, td in nonsensitive(module.ecs.resources).task_definitions : [
      for e in jsondecode(td.container_definitions)[0].environment :
      [for u in split(",", e.value) :
        can(regex("^postgres://[a-z_]+@[^:/@]+:5432/tvshows[?]sslmode=verify-full&sslrootcert=/etc/tvshows/rds-ca-bundle[.]pem$", u))
      ] if contains(["DATABASE_URL", "DATABASE_REPLICA_URL"], e.name) && e.value != ""
    ]]))
    error_message = "ECS: database URLs must be postgres://user@host:5432/tvshows?sslmode=verify-full&sslrootcert=<bundle>, without a password"
  }

  assert {
    condition = alltrue([for role in ["api", "worker"] : contains([
      for e in jsondecode(nonsensitive(module.ecs.resources).task_definitions[role].container_definitions)[0].environment :
      e.value if e.name == "DATABASE_URL"], "postgres://tvshows_app@db.tvshows.internal:5432/tvshows?sslmode=verify-full&sslrootcert=/etc/tvshows/rds-ca-bundle.pem")
    ])
    error_message = "ECS: API and worker connect to the primary as the application role tvshows_app"
  }

  assert {
    condition = length(compact(split(",", one([
      for e in jsondecode(nonsensitive(module.ecs.resources).task_definitions.api.container_definitions)[0].environment :
    e.value if e.name == "DATABASE_REPLICA_URL"])))) == var.expect[var.environment].replicas
    error_message = "ECS: DATABASE_REPLICA_URL lists every read replica"
  }

  assert {
    # who may read which password
    condition = (
      one([for s in jsondecode(nonsensitive(module.ecs.resources).task_definitions.api.container_definitions)[0].secrets : s.valueFrom if s.name == "PGPASSWORD"]) == "${module.secrets.app_db_secret_arn}:DATABASE_APP_PASSWORD::" &&
      one([for s in jsondecode(nonsensitive(module.ecs.resources).task_definitions.worker.container_definitions)[0].secrets : s.valueFrom if s.name == "PGPASSWORD"]) == "${module.secrets.app_db_secret_arn}:DATABASE_APP_PASSWORD::" &&
      one([for s in jsondecode(nonsensitive(module.ecs.resources).task_definitions.migrate.container_definitions)[0].secrets : s.valueFrom if s.name == "PGPASSWORD"]) == "${module.database.master_secret_arn}:password::" &&
      !contains([for s in jsondecode(nonsensitive(module.ecs.resources).task_definitions.api.container_definitions)[0].secrets : s.name], "DATABASE_APP_PASSWORD")
    )
    error_message = "ECS: API and worker get the app role's password, only migrate the master's"
  }

  assert {
    condition = alltrue([for role, td in nonsensitive(module.ecs.resources).task_definitions :
      contains([for e in jsondecode(td.container_definitions)[0].environment : "${e.name}=${e.value}"], "METRICS_ENVIRONMENT=${var.environment}") &&
      contains([for e in jsondecode(td.container_definitions)[0].environment : "${e.name}=${e.value}"], "METRICS_SERVICE=${role}") &&
      contains([for e in jsondecode(td.container_definitions)[0].environment : "${e.name}=${e.value}"], "LOG_EMF=true")
    ])
    error_message = "ECS: EMF metrics carry the Environment and Service dimensions"
  }

  assert {
    condition = alltrue([for role in ["api", "worker"] :
      contains([for c in jsondecode(nonsensitive(module.ecs.resources).task_definitions[role].container_definitions) : c.name], "otel-collector") &&
      contains([for e in jsondecode(nonsensitive(module.ecs.resources).task_definitions[role].container_definitions)[0].environment : "${e.name}=${e.value}"], "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318")
    ])
    error_message = "ECS: the OpenTelemetry collector runs beside the API and worker, which export to it"
  }

  assert {
    condition = (
      nonsensitive(module.ecs.resources).services.api.desired_count == var.expect[var.environment].api_scaling[0] &&
      [nonsensitive(module.ecs.resources).scaling_targets.api.min_capacity, nonsensitive(module.ecs.resources).scaling_targets.api.max_capacity] == var.expect[var.environment].api_scaling &&
      nonsensitive(module.ecs.resources).services.worker.desired_count == 1
    )
    error_message = "ECS: API auto scaling floor and ceiling per environment (2..20 in production), one worker"
  }

  assert {
    condition = (
      nonsensitive(module.ecs.resources).scaling_policies.api_cpu.target_tracking_scaling_policy_configuration[0].target_value == 70 &&
      nonsensitive(module.ecs.resources).scaling_policies.api_memory.target_tracking_scaling_policy_configuration[0].target_value == 80 &&
      nonsensitive(module.ecs.resources).scaling_policies.api_requests.target_tracking_scaling_policy_configuration[0].target_value == 1000 &&
      alltrue([for p in nonsensitive(module.ecs.resources).scaling_policies :
        p.target_tracking_scaling_policy_configuration[0].scale_out_cooldown == 300 &&
      p.target_tracking_scaling_policy_configuration[0].scale_in_cooldown == 900])
    )
    error_message = "ECS: CPU 70 %, memory 80 %, 1000 requests per target; cooldowns 300 s out, 900 s in"
  }

  assert {
    condition = alltrue([for s in nonsensitive(module.ecs.resources).services :
    s.deployment_circuit_breaker[0].enable && s.deployment_circuit_breaker[0].rollback && !s.network_configuration[0].assign_public_ip])
    error_message = "ECS: circuit breaker with rollback, private tasks"
  }

  assert {
    condition = (var.expect[var.environment].business_hours == 0 ?
      length(nonsensitive(module.ecs.resources).business_hours) == 0 :
      length(nonsensitive(module.ecs.resources).business_hours) == 2 &&
      nonsensitive(module.ecs.resources).business_hours[0].scalable_target_action[0].min_capacity == tostring(var.expect[var.environment].business_hours) &&
      nonsensitive(module.ecs.resources).business_hours[1].scalable_target_action[0].min_capacity == tostring(var.expect[var.environment].api_scaling[0]) &&
      nonsensitive(module.ecs.resources).business_hours[0].schedule == "cron(0 8 ? * MON-FRI *)" &&
    nonsensitive(module.ecs.resources).business_hours[1].schedule == "cron(0 20 ? * MON-FRI *)")
    error_message = "ECS: the business-hours floor (production: 4 API tasks on weekdays 08:00-20:00): ${jsonencode([for a in nonsensitive(module.ecs.resources).business_hours : [a.schedule, a.scalable_target_action]])}"
  }

  # ------------------------------------------------------------ alarms

  assert {
    condition = alltrue([for lg in nonsensitive(module.cloudwatch.resources).log_groups :
    lg.retention_in_days == var.expect[var.environment].log_days])
    error_message = "logs kept 30 days in production, 7 elsewhere"
  }

  assert {
    condition = (
      nonsensitive(module.cloudwatch.resources).alarms.error_rate.threshold == 5 &&
      nonsensitive(module.cloudwatch.resources).alarms.error_rate.treat_missing_data == "breaching" &&
      alltrue([for q in nonsensitive(module.cloudwatch.resources).alarms.error_rate.metric_query : alltrue([for m in q.metric :
        m.namespace == "TvShows" && m.period == 300 && m.dimensions == tomap({ Environment = var.environment, Service = "api" })
      ])])
    )
    error_message = "alarm: 5xx over 5 % of this environment's API requests in 5 minutes; silence breaches"
  }

  assert {
    condition = (
      nonsensitive(module.cloudwatch.resources).alarms.latency.extended_statistic == "p99" &&
      nonsensitive(module.cloudwatch.resources).alarms.latency.statistic == null &&
      nonsensitive(module.cloudwatch.resources).alarms.latency.threshold == 2 &&
      nonsensitive(module.cloudwatch.resources).alarms.latency.period == 300
    )
    error_message = "alarm: latency on a percentile (p99 of TargetResponseTime) above 2 s over 5 minutes"
  }

  assert {
    condition = (
      nonsensitive(module.cloudwatch.resources).alarms.queue_backlog.threshold == 100 &&
      nonsensitive(module.cloudwatch.resources).alarms.queue_backlog.treat_missing_data == "breaching" &&
      nonsensitive(module.cloudwatch.resources).alarms.queue_backlog.dimensions == tomap({ Environment = var.environment, Service = "worker" }) &&
      nonsensitive(module.cloudwatch.resources).alarms.db_connection_errors.threshold == 0
    )
    error_message = "alarms: queue backlog over 100 (silence breaches), any database connection failure"
  }

  assert {
    condition = (
      nonsensitive(module.cloudwatch.resources).alarms.no_healthy_targets.metric_name == "HealthyHostCount" &&
      nonsensitive(module.cloudwatch.resources).alarms.no_healthy_targets.comparison_operator == "LessThanThreshold" &&
      nonsensitive(module.cloudwatch.resources).alarms.no_healthy_targets.threshold == 1 &&
      nonsensitive(module.cloudwatch.resources).alarms.no_healthy_targets.treat_missing_data == "breaching" &&
      nonsensitive(module.cloudwatch.resources).alarms.no_healthy_targets.actions_enabled
    )
    error_message = "alarm: HealthyHostCount < 1, no data breaching"
  }

  assert {
    condition = alltrue([for k in ["api_running_tasks", "worker_running_tasks"] :
      nonsensitive(module.cloudwatch.resources).alarms[k].metric_name == "RunningTaskCount" &&
      nonsensitive(module.cloudwatch.resources).alarms[k].threshold == 1 &&
      nonsensitive(module.cloudwatch.resources).alarms[k].treat_missing_data == "breaching" &&
      nonsensitive(module.cloudwatch.resources).alarms[k].dimensions.ClusterName == module.ecs.cluster_name
    ])
    error_message = "alarms: a running task count below one for each service, no data breaching"
  }

  assert {
    condition = anytrue([for q in nonsensitive(module.cloudwatch.resources).alarms.alb_5xx.metric_query :
    anytrue([for m in q.metric : m.namespace == "AWS/ApplicationELB" && m.metric_name == "HTTPCode_ELB_5XX_Count"])])
    error_message = "alarm: the load balancer's own 5xx"
  }

  assert {
    condition     = alltrue([for a in nonsensitive(module.cloudwatch.resources).alarms : tolist(a.alarm_actions) == tolist([module.cloudwatch.alarm_topic_arn])])
    error_message = "every alarm notifies the alarm topic"
  }

  assert {
    condition = (var.expect[var.environment].cloudfront ?
      nonsensitive(module.cloudfront[0].resources).alarm.metric_name == "5xxErrorRate" &&
      nonsensitive(module.cloudfront[0].resources).alarm.dimensions.DistributionId == nonsensitive(module.cloudfront[0].resources).distribution.id &&
      nonsensitive(module.cloudfront[0].resources).cache_policy.default_ttl == 3600
    : length(module.cloudfront) == 0)
    error_message = "CloudFront (production): 1-hour default TTL and a 5xx alarm"
  }

  assert {
    condition = (
      tonumber(nonsensitive(module.cloudwatch.resources).budget.limit_amount) == var.expect[var.environment].budget &&
      nonsensitive(module.cloudwatch.resources).budget.time_unit == "MONTHLY" &&
      one(nonsensitive(module.cloudwatch.resources).budget.cost_filter).values == tolist(["user:Environment$${var.environment}"])
    )
    error_message = "a monthly budget of this environment's cost"
  }

  # ------------------------------------------------------------ edge

  assert {
    condition = (
      nonsensitive(module.alb.resources).target_group.health_check[0].path == "/up" &&
      nonsensitive(module.alb.resources).listeners.https.port == 443 &&
      nonsensitive(module.alb.resources).listeners.http.default_action[0].redirect[0].port == "443"
    )
    error_message = "ALB: health check /up, HTTPS on 443, 80 redirects"
  }

  assert {
    condition = alltrue([for r in nonsensitive(module.waf_regional.resources).web_acl.rule :
      r.statement[0].rate_based_statement[0].limit == 100 && r.statement[0].rate_based_statement[0].evaluation_window_sec == 60
    if length(r.statement[0].rate_based_statement) > 0])
    error_message = "WAF: 100 requests per 60 s"
  }

  # ------------------------------------------------------------ DR, identity, baseline

  assert {
    condition = (
      one(nonsensitive(module.dr.resources).plan.rule).schedule == "cron(0 5 ? * SUN *)" &&
      one(nonsensitive(module.dr.resources).plan.rule).lifecycle[0].delete_after == 30 &&
      tolist(nonsensitive(module.dr.resources).selection.resources) == tolist([module.database.instance_arn])
    )
    error_message = "AWS Backup: weekly snapshot of the database kept 30 days"
  }

  assert {
    condition = (var.expect[var.environment].cross_region ?
      length(one(nonsensitive(module.dr.resources).plan.rule).copy_action) == 1 &&
      one(one(nonsensitive(module.dr.resources).plan.rule).copy_action).lifecycle[0].delete_after == 30 &&
      length(nonsensitive(module.dr.resources).rds_replication) == 1 &&
      sort(keys(nonsensitive(module.dr.resources).replication)) == tolist(["artifacts", "logs"]) &&
      alltrue([for r in nonsensitive(module.dr.resources).replica_buckets : endswith(r.bucket, "-us-west-2")])
      : length(one(nonsensitive(module.dr.resources).plan.rule).copy_action) == 0 &&
    length(nonsensitive(module.dr.resources).replication) == 0)
    error_message = "production copies backups to us-west-2, replicates RDS backups and the artifacts and logs buckets"
  }

  assert {
    condition = (var.expect[var.environment].cross_region ?
      one(one(nonsensitive(module.dr.resources).ecr_replication).replication_configuration[0].rule[0].destination).region == "us-west-2" &&
      alltrue([for s in nonsensitive(module.secrets.resources) : [for r in s.replica : r.region] == ["us-west-2"]])
      : length(nonsensitive(module.dr.resources).ecr_replication) == 0 &&
    alltrue([for s in nonsensitive(module.secrets.resources) : length(s.replica) == 0]))
    error_message = "production replicates its images and the operators' secrets to us-west-2"
  }

  assert {
    condition     = (length(nonsensitive(module.iam.resources).deploy) == 1) == var.expect[var.environment].deploy_role
    error_message = "a deploy role for staging and production"
  }

  assert {
    condition = (var.expect[var.environment].baseline ?
      nonsensitive(module.baseline[0].resources).trail.is_multi_region_trail &&
      nonsensitive(module.baseline[0].resources).trail.enable_log_file_validation &&
      nonsensitive(module.baseline[0].resources).guardduty.enable &&
      nonsensitive(module.baseline[0].resources).recording.is_enabled
    : length(module.baseline) == 0)
    error_message = "account baseline (CloudTrail, GuardDuty, Config) where the environment opts in"
  }

  assert {
    condition = (var.enable_cognito ?
      alltrue([for k in ["JWT_ISSUER", "JWT_AUDIENCE", "JWT_JWKS_URL"] : contains([
      for e in jsondecode(nonsensitive(module.ecs.resources).task_definitions.api.container_definitions)[0].environment : e.name], k)]) &&
      startswith(module.cognito[0].jwt_settings.JWT_ISSUER, "https://cognito-idp.us-east-1.amazonaws.com/")
    : true)
    error_message = "Cognito's issuer, audience and keys feed the API's JWT settings"
  }
}
