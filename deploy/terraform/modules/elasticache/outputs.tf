output "replication_group_id" {
  description = "Replication group id."
  value       = aws_elasticache_replication_group.this.id
}

output "primary_endpoint" {
  description = "Primary endpoint host name."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "redis_url" {
  description = "REDIS_URL of the application: TLS (rediss://) with the AUTH token."
  value       = "rediss://:${terraform_data.auth_token.output}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379/0"
  sensitive   = true
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    group = aws_elasticache_replication_group.this
  }
}
