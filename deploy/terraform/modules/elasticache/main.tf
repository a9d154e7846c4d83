# ElastiCache Redis 7: response cache (second level), rate-limit counters and
# the job queue. Cluster mode is off: the application uses multi-key
# commands and Lua scripts on one keyspace; high availability comes from
# replicas with automatic failover across AZs when there are 2+ nodes.

locals {
  replicated = var.num_nodes > 1
}

resource "aws_elasticache_subnet_group" "this" {
  name       = "${var.name_prefix}-cache"
  subnet_ids = var.subnet_ids
}

resource "aws_elasticache_parameter_group" "this" {
  name   = "${var.name_prefix}-redis7"
  family = "redis7"

  # Evict only keys with a TTL (cached responses, rate-limit windows); the
  # job queue has none and is never evicted.
  parameter {
    name  = "maxmemory-policy"
    value = "volatile-lru"
  }
}

# AUTH token (TLS is required for AUTH): 64 hex digits from two random
# UUIDs, drawn once at creation and kept (ignore_changes), so it fits in a
# URL without escaping. The provider has no write-only form of auth_token:
# the token is in the (encrypted, private) state like the attribute itself.
resource "terraform_data" "auth_token" {
  input = replace("${uuid()}${uuid()}", "-", "")

  lifecycle {
    ignore_changes = [input]
  }
}

resource "aws_cloudwatch_log_group" "slow" {
  name              = "/aws/elasticache/${var.name_prefix}/slow-log"
  retention_in_days = var.log_retention_days
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = "${var.name_prefix}-redis"
  description          = "${var.name_prefix} cache, rate limits and job queue"

  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.this.name

  num_cache_clusters         = var.num_nodes
  automatic_failover_enabled = local.replicated
  multi_az_enabled           = local.replicated

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [var.security_group_id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = terraform_data.auth_token.output

  snapshot_retention_limit = var.snapshot_retention_days
  snapshot_window          = "05:00-06:00"
  maintenance_window       = "sun:06:00-sun:07:00"

  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.slow.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }
}
