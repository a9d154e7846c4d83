# Staging: production's shape at a smaller size (plan: Resource Sizing).
environment = "staging"
aws_region  = "us-east-1"

# ECS: 0.5 vCPU, 1 GB
api_cpu          = 512
api_memory       = 1024
worker_cpu       = 512
worker_memory    = 1024
api_min_count    = 1
api_max_count    = 4
worker_min_count = 1
worker_max_count = 1

single_nat_gateway = true

# RDS
db_instance_class      = "db.t3.small"
db_allocated_storage   = 50
db_multi_az            = false
db_deletion_protection = true
db_read_replica_count  = 0

# ElastiCache: primary + one replica, automatic failover
cache_node_type = "cache.t3.small"
cache_num_nodes = 2

log_retention_days = 7

certificate_arn   = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111"
enable_cloudfront = false

# Budget (plan: $150-200 a month)
monthly_budget_usd = 200

# Authentication: Cognito user pool feeding JWT_* (auth_mode decides
# whether the API asks for tokens)
enable_cognito = true

# Deploy role for the staging branch (GitHub environment "staging")
github_repository        = "company/tvshows"
github_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

tracing_sample_ratio = 0.2
