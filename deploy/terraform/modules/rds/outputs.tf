output "instance_id" {
  description = "Identifier of the primary instance."
  value       = aws_db_instance.primary.identifier
}

output "address" {
  description = "Host name of the primary."
  value       = aws_db_instance.primary.address
}

output "replica_addresses" {
  description = "Host names of the read replicas."
  value       = aws_db_instance.replica[*].address
}

output "instance_arn" {
  description = "ARN of the primary instance (backup selection, cross-region backup replication)."
  value       = aws_db_instance.primary.arn
}

output "master_secret_arn" {
  description = "ARN of the RDS-managed secret with the master user's name and password (JSON keys username, password)."
  value       = aws_db_instance.primary.master_user_secret[0].secret_arn
}

output "database_url" {
  description = "DATABASE_URL for the given user (no password: libpq reads PGPASSWORD), TLS verified against the RDS CA bundle."
  value       = "postgres://${var.master_username}@${aws_db_instance.primary.address}:${aws_db_instance.primary.port}/${var.database_name}?${local.tls}"
}

output "app_database_url" {
  description = "DATABASE_URL of the API and worker: the primary, as the application role."
  value       = "postgres://${var.app_role}@${aws_db_instance.primary.address}:${aws_db_instance.primary.port}/${var.database_name}?${local.tls}"
}

output "replica_database_urls" {
  description = "DATABASE_REPLICA_URL: every read replica as the application role, comma-separated; empty without replicas."
  value = join(",", [for r in aws_db_instance.replica :
    "postgres://${var.app_role}@${r.address}:${r.port}/${var.database_name}?${local.tls}"
  ])
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    primary   = aws_db_instance.primary
    replicas  = aws_db_instance.replica
    rotation  = aws_secretsmanager_secret_rotation.master
    parameter = aws_db_parameter_group.this
  }
}
