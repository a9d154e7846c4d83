output "secret_arns" {
  description = "ARNs of every secret the tasks read (the only ones the execution role may read)."
  value = [
    aws_secretsmanager_secret.connections.arn,
    aws_secretsmanager_secret.app_db.arn,
    aws_secretsmanager_secret.auth.arn,
    var.master_secret_arn,
  ]
}

output "connections_secret_arn" {
  description = "ARN of the connections secret (REDIS_URL)."
  value       = aws_secretsmanager_secret.connections.arn
}

output "app_db_secret_arn" {
  description = "ARN of the secret with the application role's password (DATABASE_APP_PASSWORD)."
  value       = aws_secretsmanager_secret.app_db.arn
}

output "auth_secret_arn" {
  description = "ARN of the auth secret."
  value       = aws_secretsmanager_secret.auth.arn
}

output "app_secrets" {
  description = "Secrets block of the API and worker containers: connect as the application role."
  value = concat(local.common, [
    { name = "PGPASSWORD", valueFrom = local.app_password },
  ])
}

output "migrate_secrets" {
  description = "Secrets block of the migrate container: connect as the master user, create the application role with its password."
  value = concat(local.common, [
    { name = "PGPASSWORD", valueFrom = "${var.master_secret_arn}:password::" },
    { name = "DATABASE_APP_PASSWORD", valueFrom = local.app_password },
  ])
}

output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    app_db = aws_secretsmanager_secret.app_db
    auth   = aws_secretsmanager_secret.auth
  }
}
