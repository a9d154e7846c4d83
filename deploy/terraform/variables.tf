###############################################################################
# Environment
###############################################################################

variable "environment" {
  description = "Deployment environment: dev, staging or production."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "environment must be dev, staging or production."
  }
}

variable "aws_region" {
  description = "AWS region of the stack (CloudFront pieces always go to us-east-1)."
  type        = string
  default     = "us-east-1"
}

variable "bootstrap" {
  description = "First deployment of the environment: services created with no task (auto scaling held at zero, business-hours schedule off, outage alarms silent) until `tvshows migrate` has run. Apply once with true, migrate, apply again with false (docs/deployment.md)."
  type        = bool
  default     = false
}

variable "image_tag" {
  description = "Tag of the tvshows image in ECR used by the task definitions Terraform registers (the deploy pipeline registers later revisions itself). Pass the commit SHA that is deployed: -var image_tag=<sha>."
  type        = string

  validation {
    condition     = length(var.image_tag) > 0
    error_message = "image_tag must not be empty."
  }
}

###############################################################################
# Network (deployment plan: VPC Architecture)
###############################################################################

variable "vpc_cidr" {
  description = "VPC CIDR block."
  type        = string
  default     = "10.0.0.0/16"
}

variable "public_subnet_cidrs" {
  description = "Public subnets (ALB, NAT gateways), one per AZ."
  type        = list(string)
  default     = ["10.0.1.0/24", "10.0.2.0/24"]
}

variable "private_subnet_cidrs" {
  description = "Private subnets (ECS tasks in the first two, RDS and Redis in all), one per AZ."
  type        = list(string)
  default     = ["10.0.10.0/24", "10.0.20.0/24", "10.0.30.0/24"]
}

variable "interface_endpoints" {
  description = "VPC interface endpoints of the private subnets (ECR, Secrets Manager, Logs), empty for none."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "secretsmanager", "logs"]
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the VPC instead of one per public subnet (cheaper, not AZ-redundant)."
  type        = bool
  default     = true
}

###############################################################################
# ECS (deployment plan: Task Definitions, Auto Scaling, Resource Sizing)
###############################################################################

variable "api_cpu" {
  description = "API task CPU units (1024 = 1 vCPU)."
  type        = number
}

variable "api_memory" {
  description = "API task memory, MiB."
  type        = number
}

variable "worker_cpu" {
  description = "Worker task CPU units (1024 = 1 vCPU)."
  type        = number
}

variable "worker_memory" {
  description = "Worker task memory, MiB."
  type        = number
}

variable "api_min_count" {
  description = "Minimum number of API tasks (auto scaling floor, initial desired count)."
  type        = number
}

variable "api_max_count" {
  description = "Maximum number of API tasks (auto scaling ceiling)."
  type        = number
}

variable "worker_min_count" {
  description = "Minimum number of worker tasks."
  type        = number
  default     = 1
}

variable "worker_max_count" {
  description = "Maximum number of worker tasks. Every worker calls TVmaze through the NAT gateways' addresses: keep this at most the number of NAT gateways unless IMPORT_RATE is lowered."
  type        = number
  default     = 1
}

variable "scaling_cpu_target" {
  description = "Target average CPU utilisation (%) of the API service."
  type        = number
  default     = 70
}

variable "scaling_memory_target" {
  description = "Target average memory utilisation (%) of the API service."
  type        = number
  default     = 80
}

variable "scaling_requests_per_target" {
  description = "Target ALB requests per API task per minute."
  type        = number
  default     = 1000
}

variable "business_hours_min_count" {
  description = "API floor on weekdays 08:00-20:00 America/New_York (plan: scale-in protection in business hours); 0 for no schedule."
  type        = number
  default     = 0
}

variable "scale_out_cooldown" {
  description = "Seconds after a scale-out before another one."
  type        = number
  default     = 300
}

variable "scale_in_cooldown" {
  description = "Seconds after a scale-in before another one."
  type        = number
  default     = 900
}

###############################################################################
# RDS PostgreSQL
###############################################################################

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_allocated_storage" {
  description = "Initial gp3 storage, GiB."
  type        = number
  default     = 100
}

variable "db_max_allocated_storage" {
  description = "Storage auto-scaling ceiling, GiB."
  type        = number
  default     = 1000
}

variable "db_multi_az" {
  description = "Multi-AZ standby. Always on in production whatever this says."
  type        = bool
  default     = false
}

variable "db_deletion_protection" {
  description = "Deletion protection. Always on in production whatever this says."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Automated backup retention, days."
  type        = number
  default     = 7
}

variable "db_read_replica_count" {
  description = "Read replicas; DATABASE_REPLICA_URL lists all of them (analytics reads are spread over them)."
  type        = number
  default     = 0
}

###############################################################################
# ElastiCache Redis
###############################################################################

variable "cache_node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "cache_num_nodes" {
  description = "Nodes in the replication group (1 primary + replicas). Automatic failover and Multi-AZ are on when it is 2 or more."
  type        = number
  default     = 1
}

###############################################################################
# Logs, alarms
###############################################################################

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the API and worker log groups, days."
  type        = number
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (empty: none; subscribe a pager yourself)."
  type        = string
  default     = ""
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of the environment (AWS Budgets on the Environment cost allocation tag), USD."
  type        = number
}

variable "tracing_enabled" {
  description = "Run the OpenTelemetry collector sidecar (to X-Ray) and point the application's OTLP exporter at it."
  type        = bool
  default     = true
}

variable "tracing_sample_ratio" {
  description = "OTEL_TRACES_SAMPLER_ARG: share of root requests traced (0..1)."
  type        = number
  default     = 0.05

  validation {
    condition     = var.tracing_sample_ratio >= 0 && var.tracing_sample_ratio <= 1
    error_message = "tracing_sample_ratio is between 0 and 1."
  }
}

###############################################################################
# Edge: ALB certificate, CloudFront, WAF
###############################################################################

variable "certificate_arn" {
  description = "ACM certificate (in aws_region) for the ALB HTTPS listener."
  type        = string
}

variable "enable_cloudfront" {
  description = "Put CloudFront (with an edge WAF web ACL) in front of the ALB."
  type        = bool
  default     = false
}

variable "cloudfront_aliases" {
  description = "Public host names served by CloudFront, e.g. [\"api.tvshows.example.com\"]."
  type        = list(string)
  default     = []
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate in us-east-1 covering cloudfront_aliases."
  type        = string
  default     = ""
}

variable "origin_domain_name" {
  description = "Host name of the ALB that CloudFront connects to over HTTPS (a DNS name pointing at the ALB, covered by certificate_arn)."
  type        = string
  default     = ""
}

variable "waf_blocked_countries" {
  description = "ISO 3166 country codes the WAF refuses (geo-match rule), empty for none."
  type        = list(string)
  default     = []
}

variable "waf_blocked_cidrs" {
  description = "Client addresses (CIDR) that the WAF blocks outright. IPv4 only."
  type        = list(string)
  default     = []
}

###############################################################################
# Application settings (environment variables of the containers)
###############################################################################

variable "auth_mode" {
  description = "AUTH_MODE: none, api_key, jwt or any. API keys and JWT settings live in the auth secret."
  type        = string
  default     = "none"
}

variable "cors_origins" {
  description = "CORS_ORIGINS (comma-separated, * for any)."
  type        = string
  default     = "*"
}

variable "cache_ttl" {
  description = "CACHE_TTL, seconds (Cache-Control max-age of API responses, also CloudFront's default TTL)."
  type        = number
  default     = 3600
}

variable "import_countries" {
  description = "IMPORT_COUNTRIES."
  type        = string
  default     = "US"
}

variable "import_days" {
  description = "IMPORT_DAYS."
  type        = number
  default     = 90
}

variable "import_schedule" {
  description = "IMPORT_SCHEDULE (cron, UTC)."
  type        = string
  default     = "0 2 * * *"
}

variable "log_level" {
  description = "LOG_LEVEL."
  type        = string
  default     = "info"
}

###############################################################################
# CI/CD
###############################################################################

variable "github_repository" {
  description = "owner/name of the GitHub repository allowed to deploy (empty: no deploy role)."
  type        = string
  default     = ""
}

variable "github_oidc_provider_arn" {
  description = "ARN of the account's token.actions.githubusercontent.com OIDC provider (created once per account)."
  type        = string
  default     = ""
}

variable "promote_from_environment" {
  description = "Environment whose verified images this one deploys by digest instead of building (production: staging); empty to build."
  type        = string
  default     = ""
}

###############################################################################
# Authentication, disaster recovery, account baseline
###############################################################################

variable "enable_cognito" {
  description = "Create a Cognito user pool and app client; their issuer, audience and JWKS URL become the API's JWT_* settings."
  type        = bool
  default     = false
}

variable "dr_region" {
  description = "Disaster recovery region (plan: us-west-2)."
  type        = string
  default     = "us-west-2"
}

variable "dr_cross_region" {
  description = "Copy the weekly backups, replicate RDS automated backups and the S3 buckets to dr_region."
  type        = bool
  default     = false
}

variable "enable_account_baseline" {
  description = "Create the account baseline (CloudTrail, GuardDuty, AWS Config). Account-wide: one environment per account."
  type        = bool
  default     = false
}
