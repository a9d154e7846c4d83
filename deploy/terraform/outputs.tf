output "environment" {
  description = "Environment of this state."
  value       = var.environment
}

output "ecr_repository_url" {
  description = "Image repository (ECR_REPOSITORY of the deploy workflow is its name)."
  value       = aws_ecr_repository.app.repository_url
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.ecs.cluster_name
}

output "api_service_name" {
  description = "ECS API service."
  value       = module.ecs.api_service_name
}

output "worker_service_name" {
  description = "ECS worker service."
  value       = module.ecs.worker_service_name
}

output "migrate_task_family" {
  description = "Task definition family of the migrate task."
  value       = module.ecs.migrate_task_family
}

output "app_subnet_ids" {
  description = "Subnets of the tasks (aws ecs run-task --network-configuration)."
  value       = module.vpc.app_subnet_ids
}

output "app_security_group_id" {
  description = "Security group of the tasks (aws ecs run-task --network-configuration)."
  value       = module.vpc.app_security_group_id
}

output "alb_dns_name" {
  description = "ALB DNS name: the API host name (or CloudFront's origin name) is a CNAME/alias of it."
  value       = module.alb.dns_name
}

output "cloudfront_domain_name" {
  description = "CloudFront domain name, empty without CloudFront."
  value       = var.enable_cloudfront ? module.cloudfront[0].domain_name : ""
}

output "nat_public_ips" {
  description = "Source addresses of outbound traffic (TVmaze sees these)."
  value       = module.vpc.nat_public_ips
}

output "db_instance_id" {
  description = "Primary RDS instance identifier."
  value       = module.database.instance_id
}

output "db_address" {
  description = "Primary RDS host name."
  value       = module.database.address
}

output "db_replica_addresses" {
  description = "Read replica host names."
  value       = module.database.replica_addresses
}

output "redis_replication_group_id" {
  description = "ElastiCache replication group."
  value       = module.cache.replication_group_id
}

output "connections_secret_arn" {
  description = "Secret with REDIS_URL."
  value       = module.secrets.connections_secret_arn
}

output "app_db_secret_arn" {
  description = "Secret with DATABASE_APP_PASSWORD (set once by deploy/bin/app-db-password before the first migrate)."
  value       = module.secrets.app_db_secret_arn
}

output "db_master_secret_arn" {
  description = "RDS-managed secret of the master user (rotated by RDS)."
  value       = module.database.master_secret_arn
}

output "database_url" {
  description = "DATABASE_URL of the API and worker (no password; TLS verified)."
  value       = module.database.app_database_url
}

output "database_replica_url" {
  description = "DATABASE_REPLICA_URL: every read replica, comma-separated."
  value       = module.database.replica_database_urls
}

output "auth_secret_arn" {
  description = "Secret with API_KEYS_SHA256 and JWT_* (set by operators)."
  value       = module.secrets.auth_secret_arn
}

output "artifacts_bucket" {
  description = "Artifacts bucket (database dumps, exports)."
  value       = module.s3.artifacts_bucket_id
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.cloudwatch.alarm_topic_arn
}

output "api_log_group" {
  description = "Log group of the API."
  value       = module.cloudwatch.api_log_group_name
}

output "worker_log_group" {
  description = "Log group of the worker and the migrate task."
  value       = module.cloudwatch.worker_log_group_name
}

output "waf_blocked_ip_set_id" {
  description = "IP set of blocked addresses on the ALB web ACL."
  value       = module.waf_regional.blocked_ip_set_id
}

output "deploy_role_arn" {
  description = "Role for GitHub Actions (secret AWS_DEPLOY_ROLE_ARN of the environment)."
  value       = module.iam.deploy_role_arn
}

output "alarm_names" {
  description = "Every CloudWatch alarm of the environment (the CloudFront one is in us-east-1)."
  value       = concat(module.cloudwatch.alarm_names, var.enable_cloudfront ? ["${local.name_prefix}-cloudfront-5xx"] : [])
}

output "edge_alarm_topic_arn" {
  description = "SNS topic (us-east-1) of the CloudFront alarm, empty without CloudFront."
  value       = var.enable_cloudfront ? module.cloudfront[0].alarm_topic_arn : ""
}

output "cognito" {
  description = "User pool id, app client id and the JWT settings they give the API; null without Cognito."
  value = var.enable_cognito ? {
    user_pool_id = module.cognito[0].user_pool_id
    client_id    = module.cognito[0].client_id
    jwt          = module.cognito[0].jwt_settings
  } : null
}

output "backup_plan_id" {
  description = "AWS Backup plan of the weekly database snapshots."
  value       = module.dr.backup_plan_id
}

output "dr_replica_buckets" {
  description = "Replicas of the buckets in the DR region."
  value       = module.dr.replica_buckets
}

output "bootstrap" {
  description = "Whether this state was applied in bootstrap mode (services at zero tasks)."
  value       = var.bootstrap
}
