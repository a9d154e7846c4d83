# tvshows on AWS: one root module, one state per environment.
#
#   terraform init -reconfigure -backend-config=environments/staging.s3.tfbackend
#   terraform plan  -var-file=environments/staging.tfvars -var image_tag=<sha>
#   terraform apply -var-file=environments/staging.tfvars -var image_tag=<sha>
#
# See docs/deployment.md for the first deploy (bootstrap = true, migrate,
# then bootstrap = false) and the routine one. tests/*.tftest.hcl plan and
# apply every environment against a mocked provider (scripts/check-infra).

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  name          = "tv-shows"
  name_prefix   = "${var.environment}-${local.name}"
  is_production = var.environment == "production"

  tags = {
    Project     = "tv-shows-api"
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  app_port = 3000

  # Where the image keeps the RDS CA bundle (Dockerfile): every PostgreSQL
  # connection is sslmode=verify-full against it.
  rds_ca_bundle = "/etc/tvshows/rds-ca-bundle.pem"
  app_db_role   = "tvshows_app"

  # Production deploys the images staging verified, copied by digest from
  # staging's repository.
  promote_from_repository_arn = var.promote_from_environment == "" ? "" : (
    "arn:aws:ecr:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:repository/${var.promote_from_environment}-${local.name}-api"
  )

  # Non-secret configuration of every container (src/config/config.c names).
  # Secrets (REDIS_URL, PGPASSWORD, DATABASE_APP_PASSWORD, API_KEYS_SHA256,
  # JWT_* without Cognito) come from Secrets Manager, see module.secrets.
  app_environment = merge({
    HOST                    = "0.0.0.0"
    PORT                    = tostring(local.app_port)
    LOG_FORMAT              = "json"
    LOG_LEVEL               = var.log_level
    LOG_EMF                 = "true"
    AUTH_MODE               = var.auth_mode
    CORS_ORIGINS            = var.cors_origins
    CACHE_TTL               = tostring(var.cache_ttl)
    IMPORT_COUNTRIES        = var.import_countries
    IMPORT_DAYS             = tostring(var.import_days)
    IMPORT_SCHEDULE         = var.import_schedule
    DB_STATEMENT_TIMEOUT_MS = "5000"
    SHUTDOWN_TIMEOUT        = "25"
    # Requests reach the tasks through the ALB, whose addresses are in the
    # public subnets: only those peers' X-Forwarded-For is believed.
    TRUSTED_PROXIES = join(",", var.public_subnet_cidrs)
    # Behind CloudFront every request arrives from an edge address, so the
    # per-IP limit is enforced by the edge WAF instead (100/min/IP); the
    # per-key limit stays in the application.
    RATE_LIMIT_IP_PER_MIN = var.enable_cloudfront ? "0" : "100"
    # EMF dimensions (Service is set per container by modules/ecs).
    METRICS_ENVIRONMENT = var.environment
    # The least-privilege role `tvshows migrate` creates; API and worker
    # connect as it. Replicas: every one of them, comma-separated.
    DATABASE_APP_ROLE    = local.app_db_role
    DATABASE_REPLICA_URL = module.database.replica_database_urls
    }, var.tracing_enabled ? {
    # OTLP/HTTP to the collector sidecar of the same task.
    OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:4318"
    OTEL_TRACES_SAMPLER_ARG     = tostring(var.tracing_sample_ratio)
    } : {},
    var.enable_cognito ? module.cognito[0].jwt_settings : {},
  )

  role_environment = {
    api     = { DATABASE_URL = module.database.app_database_url }
    worker  = { DATABASE_URL = module.database.app_database_url }
    migrate = { DATABASE_URL = module.database.database_url }
  }
}

###############################################################################
# Shared primitives: KMS key, image repository, CloudFront origin secret
###############################################################################

resource "aws_kms_key" "main" {
  description             = "${local.name_prefix}: RDS, Performance Insights, ElastiCache, S3, Secrets Manager"
  enable_key_rotation     = true
  deletion_window_in_days = local.is_production ? 30 : 7
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name_prefix}"
  target_key_id = aws_kms_key.main.key_id
}

resource "aws_ecr_repository" "app" {
  name                 = "${local.name_prefix}-api"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = !local.is_production

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the last 50 images (rollback depth)"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 50
      }
      action = { type = "expire" }
    }]
  })
}

# Shared secret between CloudFront and the ALB's WAF: requests that do not
# carry it did not come through CloudFront and are blocked. Two random
# UUIDs drawn once at creation and kept (ignore_changes); CloudFront and
# WAF hold it as a plain attribute, so it is in the (encrypted) state.
resource "terraform_data" "origin_verify" {
  count = var.enable_cloudfront ? 1 : 0

  input = replace("${uuid()}${uuid()}", "-", "")

  lifecycle {
    ignore_changes = [input]
  }
}

###############################################################################
# Modules
###############################################################################

module "vpc" {
  source = "./modules/vpc"

  name_prefix          = local.name_prefix
  cidr_block           = var.vpc_cidr
  public_subnet_cidrs  = var.public_subnet_cidrs
  private_subnet_cidrs = var.private_subnet_cidrs
  single_nat_gateway   = var.single_nat_gateway
  app_port             = local.app_port
  flow_log_retention   = var.log_retention_days
  interface_endpoints  = var.interface_endpoints
}

module "s3" {
  source = "./modules/s3"

  name_prefix   = local.name_prefix
  account_id    = data.aws_caller_identity.current.account_id
  kms_key_arn   = aws_kms_key.main.arn
  force_destroy = !local.is_production
}

module "database" {
  source = "./modules/rds"

  name_prefix             = local.name_prefix
  subnet_ids              = module.vpc.private_subnet_ids
  security_group_id       = module.vpc.db_security_group_id
  kms_key_arn             = aws_kms_key.main.arn
  instance_class          = var.db_instance_class
  allocated_storage       = var.db_allocated_storage
  max_allocated_storage   = var.db_max_allocated_storage
  multi_az                = local.is_production || var.db_multi_az
  deletion_protection     = local.is_production || var.db_deletion_protection
  backup_retention_period = var.db_backup_retention_days
  read_replica_count      = var.db_read_replica_count
  app_role                = local.app_db_role
  ca_bundle_path          = local.rds_ca_bundle
}

module "cache" {
  source = "./modules/elasticache"

  name_prefix        = local.name_prefix
  subnet_ids         = module.vpc.private_subnet_ids
  security_group_id  = module.vpc.cache_security_group_id
  kms_key_arn        = aws_kms_key.main.arn
  node_type          = var.cache_node_type
  num_nodes          = var.cache_num_nodes
  log_retention_days = var.log_retention_days
}

module "secrets" {
  source = "./modules/secrets"

  name_prefix          = local.name_prefix
  secret_path          = "tv-shows-api/${var.environment}"
  kms_key_arn          = aws_kms_key.main.arn
  recovery_window_days = local.is_production ? 30 : 7
  redis_url            = module.cache.redis_url
  master_secret_arn    = module.database.master_secret_arn
  jwt_from_environment = var.enable_cognito
  replica_region       = var.dr_cross_region ? var.dr_region : ""
}

module "cloudwatch" {
  source = "./modules/cloudwatch"

  name_prefix          = local.name_prefix
  environment          = var.environment
  log_retention_days   = var.log_retention_days
  alarm_email          = var.alarm_email
  alb_arn_suffix       = module.alb.alb_arn_suffix
  target_group_suffix  = module.alb.target_group_arn_suffix
  db_instance_id       = module.database.instance_id
  db_allocated_storage = var.db_allocated_storage
  cluster_name         = "${local.name_prefix}-cluster"
  api_service_name     = "${local.name_prefix}-api"
  worker_service_name  = "${local.name_prefix}-worker"
  bootstrap            = var.bootstrap
  monthly_budget_usd   = var.monthly_budget_usd
}

module "iam" {
  source = "./modules/iam"

  name_prefix              = local.name_prefix
  secret_arns              = module.secrets.secret_arns
  kms_key_arn              = aws_kms_key.main.arn
  log_group_arns           = module.cloudwatch.app_log_group_arns
  ecr_repository_arn       = aws_ecr_repository.app.arn
  cluster_name             = "${local.name_prefix}-cluster"
  github_repository        = var.github_repository
  github_oidc_provider_arn = var.github_oidc_provider_arn
  github_environment       = var.environment
  tracing_enabled          = var.tracing_enabled

  promote_from_repository_arn = local.promote_from_repository_arn
}

module "alb" {
  source = "./modules/alb"

  name_prefix         = local.name_prefix
  vpc_id              = module.vpc.vpc_id
  subnet_ids          = module.vpc.public_subnet_ids
  security_group_id   = module.vpc.alb_security_group_id
  certificate_arn     = var.certificate_arn
  app_port            = local.app_port
  health_check_path   = "/up"
  deletion_protection = local.is_production
  access_logs_bucket  = module.s3.logs_bucket_id
}

module "waf_regional" {
  source = "./modules/waf"

  name                = "${local.name_prefix}-alb"
  scope               = "REGIONAL"
  rate_limit          = 100
  rate_window_seconds = 60
  # Behind CloudFront the ALB sees edge addresses; the edge ACL limits the
  # real client address and this one keys on X-Forwarded-For as a backstop.
  rate_limit_key          = var.enable_cloudfront ? "FORWARDED_IP" : "IP"
  blocked_cidrs           = var.waf_blocked_cidrs
  require_origin_header   = var.enable_cloudfront
  origin_header_value     = var.enable_cloudfront ? terraform_data.origin_verify[0].output : ""
  associate_resource      = true
  associated_resource_arn = module.alb.alb_arn
  log_retention_days      = var.log_retention_days
  # behind CloudFront the edge ACL refuses the countries
  blocked_countries = var.enable_cloudfront ? [] : var.waf_blocked_countries
}

module "waf_edge" {
  source = "./modules/waf"
  count  = var.enable_cloudfront ? 1 : 0

  providers = {
    aws = aws.us_east_1
  }

  name                = "${local.name_prefix}-edge"
  scope               = "CLOUDFRONT"
  rate_limit          = 100
  rate_window_seconds = 60
  rate_limit_key      = "IP"
  blocked_cidrs       = var.waf_blocked_cidrs
  blocked_countries   = var.waf_blocked_countries
  log_retention_days  = var.log_retention_days
}

module "cloudfront" {
  source = "./modules/cloudfront"
  count  = var.enable_cloudfront ? 1 : 0

  providers = {
    aws = aws.us_east_1
  }

  name_prefix         = local.name_prefix
  aliases             = var.cloudfront_aliases
  certificate_arn     = var.cloudfront_certificate_arn
  origin_domain_name  = var.origin_domain_name
  origin_header_value = terraform_data.origin_verify[0].output
  web_acl_arn         = module.waf_edge[0].web_acl_arn
  default_ttl         = var.cache_ttl
  alarm_email         = var.alarm_email
}

module "ecs" {
  source = "./modules/ecs"

  name_prefix        = local.name_prefix
  region             = data.aws_region.current.name
  subnet_ids         = module.vpc.app_subnet_ids
  security_group_id  = module.vpc.app_security_group_id
  image              = "${aws_ecr_repository.app.repository_url}:${var.image_tag}"
  app_port           = local.app_port
  execution_role_arn = module.iam.execution_role_arn
  task_role_arn      = module.iam.task_role_arn
  api_log_group      = module.cloudwatch.api_log_group_name
  worker_log_group   = module.cloudwatch.worker_log_group_name
  environment        = local.app_environment
  role_environment   = local.role_environment
  app_secrets        = module.secrets.app_secrets
  migrate_secrets    = module.secrets.migrate_secrets
  bootstrap          = var.bootstrap
  tracing_enabled    = var.tracing_enabled

  api_cpu       = var.api_cpu
  api_memory    = var.api_memory
  worker_cpu    = var.worker_cpu
  worker_memory = var.worker_memory

  api_min_count    = var.api_min_count
  api_max_count    = var.api_max_count
  worker_min_count = var.worker_min_count
  worker_max_count = var.worker_max_count

  cpu_target          = var.scaling_cpu_target
  memory_target       = var.scaling_memory_target
  requests_per_target = var.scaling_requests_per_target
  scale_out_cooldown  = var.scale_out_cooldown
  scale_in_cooldown   = var.scale_in_cooldown

  business_hours_min_count = var.business_hours_min_count

  target_group_arn        = module.alb.target_group_arn
  alb_arn_suffix          = module.alb.alb_arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix

  # The API service may only be created once its target group is attached
  # to the HTTPS listener.
  depends_on = [module.alb]
}

module "cognito" {
  source = "./modules/cognito"
  count  = var.enable_cognito ? 1 : 0

  name_prefix         = local.name_prefix
  deletion_protection = local.is_production
}

module "dr" {
  source = "./modules/dr"

  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  name_prefix        = local.name_prefix
  kms_key_arn        = aws_kms_key.main.arn
  db_instance_arn    = module.database.instance_arn
  cross_region       = var.dr_cross_region
  dr_region          = var.dr_region
  replicated_buckets = module.s3.versioned_buckets

  ecr_repository_prefix = local.name_prefix
}

module "baseline" {
  source = "./modules/baseline"
  count  = var.enable_account_baseline ? 1 : 0

  name_prefix = local.name_prefix
}
