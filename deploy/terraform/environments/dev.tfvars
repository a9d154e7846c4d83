# Development: smallest sizes, one of everything (plan: Resource Sizing).
environment = "dev"
aws_region  = "us-east-1"

# ECS: 0.25 vCPU, 512 MB
api_cpu          = 256
api_memory       = 512
worker_cpu       = 256
worker_memory    = 512
api_min_count    = 1
api_max_count    = 2
worker_min_count = 1
worker_max_count = 1

single_nat_gateway = true

# RDS
db_instance_class      = "db.t3.micro"
db_allocated_storage   = 20
db_multi_az            = false
db_deletion_protection = false
db_read_replica_count  = 0

# ElastiCache
cache_node_type = "cache.t3.micro"
cache_num_nodes = 1

log_retention_days = 7

certificate_arn   = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
enable_cloudfront = false
log_level         = "debug"

monthly_budget_usd   = 75
tracing_sample_ratio = 1
