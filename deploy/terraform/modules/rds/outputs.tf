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

output "database_url" {
  description = "DATABASE_URL of the application (primary)."
  value       = "postgres://${var.master_username}:${random_password.master.result}@${aws_db_instance.primary.address}:${aws_db_instance.primary.port}/${var.database_name}?sslmode=require"
  sensitive   = true
}

output "replica_database_url" {
  description = "DATABASE_REPLICA_URL (first replica), empty without replicas."
  value = var.read_replica_count > 0 ? (
    "postgres://${var.master_username}:${random_password.master.result}@${aws_db_instance.replica[0].address}:${aws_db_instance.replica[0].port}/${var.database_name}?sslmode=require"
  ) : ""
  sensitive = true
}
