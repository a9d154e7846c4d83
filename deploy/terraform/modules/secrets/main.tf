# The application's secrets, injected by ECS as environment variables (the
# names of src/config/config.c). Database URLs are not secrets any more:
# they carry no password (libpq reads PGPASSWORD) and are plain settings.
#
#   <path>/connections  REDIS_URL (rediss:// with the AUTH token), written
#                       by Terraform from the replication group it creates
#   <path>/app-db       DATABASE_APP_PASSWORD: password of the application's
#                       least-privilege role. Created without a value:
#                       operators put a random one (deploy/bin/app-db-password),
#                       so that it is never in the Terraform state
#   <path>/auth         API_KEYS_SHA256, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE,
#                       created empty; operators set the values
#                       (docs/deployment.md). With Cognito the JWT settings
#                       come from the user pool instead, as plain settings.
#   RDS-managed secret  username/password of the master user, rotated by RDS;
#                       only the migrate task receives it
#
# API and worker get PGPASSWORD from app-db; the migrate task gets
# PGPASSWORD from the master secret and DATABASE_APP_PASSWORD, the password
# `tvshows migrate` gives the application role.

resource "aws_secretsmanager_secret" "connections" {
  name                    = "${var.secret_path}/connections"
  description             = "${var.name_prefix}: Redis connection URL"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "connections" {
  secret_id = aws_secretsmanager_secret.connections.id
  secret_string = jsonencode({
    REDIS_URL = var.redis_url
  })
}

resource "aws_secretsmanager_secret" "app_db" {
  name                    = "${var.secret_path}/app-db"
  description             = "${var.name_prefix}: password of the application's database role (JSON key DATABASE_APP_PASSWORD)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days

  # a copy in the DR region: operators' values survive a region loss
  dynamic "replica" {
    for_each = var.replica_region == "" ? [] : [var.replica_region]
    content {
      region = replica.value
    }
  }
}

resource "aws_secretsmanager_secret" "auth" {
  name                    = "${var.secret_path}/auth"
  description             = "${var.name_prefix}: API key hashes and JWT settings"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days

  # a copy in the DR region: operators' values survive a region loss
  dynamic "replica" {
    for_each = var.replica_region == "" ? [] : [var.replica_region]
    content {
      region = replica.value
    }
  }
}

resource "aws_secretsmanager_secret_version" "auth" {
  secret_id = aws_secretsmanager_secret.auth.id
  # Every key exists from the start, whichever of them the tasks read.
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
  auth_keys = var.jwt_from_environment ? ["API_KEYS_SHA256"] : ["API_KEYS_SHA256", "JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE"]

  common = concat(
    [{ name = "REDIS_URL", valueFrom = "${aws_secretsmanager_secret.connections.arn}:REDIS_URL::" }],
    [for k in local.auth_keys : { name = k, valueFrom = "${aws_secretsmanager_secret.auth.arn}:${k}::" }],
  )

  app_password = "${aws_secretsmanager_secret.app_db.arn}:DATABASE_APP_PASSWORD::"
}
