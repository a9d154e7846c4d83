# Two secrets, injected by ECS as environment variables (the names of
# src/config/config.c):
#
#   <path>/connections  DATABASE_URL, DATABASE_REPLICA_URL, REDIS_URL
#                       written by Terraform from the RDS and Redis it creates
#   <path>/auth         API_KEYS_SHA256, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE
#                       created empty; operators set the values (docs/deployment.md)

resource "aws_secretsmanager_secret" "connections" {
  name                    = "${var.secret_path}/connections"
  description             = "${var.name_prefix}: database and Redis connection URLs"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "connections" {
  secret_id = aws_secretsmanager_secret.connections.id
  secret_string = jsonencode({
    DATABASE_URL         = var.database_url
    DATABASE_REPLICA_URL = var.database_replica_url
    REDIS_URL            = var.redis_url
  })
}

resource "aws_secretsmanager_secret" "auth" {
  name                    = "${var.secret_path}/auth"
  description             = "${var.name_prefix}: API key hashes and JWT settings"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "auth" {
  secret_id = aws_secretsmanager_secret.auth.id
  secret_string = jsonencode({
    API_KEYS_SHA256 = ""
    JWT_JWKS_URL    = ""
    JWT_ISSUER      = ""
    JWT_AUDIENCE    = ""
  })

  lifecycle {
    # Owned by operators after creation (aws secretsmanager put-secret-value).
    ignore_changes = [secret_string]
  }
}

locals {
  connection_keys = ["DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL"]
  auth_keys       = ["API_KEYS_SHA256", "JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE"]
}
