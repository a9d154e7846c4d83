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
  description = "Secret with DATABASE_URL, DATABASE_REPLICA_URL, REDIS_URL."
  value       = module.secrets.connections_secret_arn
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
