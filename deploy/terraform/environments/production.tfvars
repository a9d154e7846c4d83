# Production (plan: Resource Sizing, Auto Scaling, RDS and ElastiCache
# configuration). Multi-AZ and deletion protection are forced on for
# production by the root module as well.
environment = "production"
aws_region  = "us-east-1"

# ECS: API 1 vCPU / 2 GB, worker 0.5 vCPU / 1 GB
api_cpu       = 1024
api_memory    = 2048
worker_cpu    = 512
worker_memory = 1024

# Auto scaling: 2..20 API tasks; workers at most one per NAT gateway
api_min_count    = 2
api_max_count    = 20
worker_min_count = 1
worker_max_count = 2

single_nat_gateway = false

# RDS: db.t3.medium, 100 GB gp3 -> 1 TB, Multi-AZ, two read replicas
db_instance_class        = "db.t3.medium"
db_allocated_storage     = 100
db_max_allocated_storage = 1000
db_multi_az              = true
db_deletion_protection   = true
db_backup_retention_days = 7
db_read_replica_count    = 2

# ElastiCache: cache.r6g.large, 3 nodes across AZs
cache_node_type = "cache.r6g.large"
cache_num_nodes = 3

log_retention_days = 30

certificate_arn            = "arn:aws:acm:us-east-1:123456789012:certificate/22222222-2222-2222-2222-222222222222"
enable_cloudfront          = true
cloudfront_aliases         = ["api.tvshows.example.com"]
cloudfront_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/33333333-3333-3333-3333-333333333333"
origin_domain_name         = "origin.api.tvshows.example.com"

alarm_email              = "devops@company.com"
github_repository        = "company/tvshows"
github_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

# Business hours (weekdays 08:00-20:00 New York): at least 4 API tasks
business_hours_min_count = 4

# Budget (plan: $400-600 a month)
monthly_budget_usd = 600

# Images: the one staging verified, copied by digest, never rebuilt
promote_from_environment = "staging"

enable_cognito = true

# Disaster recovery in us-west-2: backup copies, replicated automated
# backups, S3 replication
dr_region       = "us-west-2"
dr_cross_region = true

# Account baseline (CloudTrail, GuardDuty, Config): this account's only
# environment that creates it
enable_account_baseline = true

tracing_sample_ratio = 0.05
