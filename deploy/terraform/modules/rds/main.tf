# RDS PostgreSQL 15 per the deployment plan: gp3 100 GiB auto-scaling to
# 1 TiB, KMS encryption, backups 7 days in 03:00-04:00 UTC, maintenance
# Sun 04:00-05:00 UTC, Performance Insights, Multi-AZ and deletion
# protection in production, read replicas for analytics.
#
# Credentials: RDS keeps the master password in a Secrets Manager secret of
# its own (manage_master_user_password) and rotates it; Terraform never sees
# it, so no password is in the state. Only `tvshows migrate` connects as the
# master user; it creates the application's least-privilege role, whose
# password lives in the app-db secret (modules/secrets). Connection URLs
# carry no password at all (libpq takes it from PGPASSWORD), so they are
# plain settings of the task definitions.

resource "aws_db_subnet_group" "this" {
  name       = "${var.name_prefix}-db"
  subnet_ids = var.subnet_ids
}

resource "aws_db_parameter_group" "this" {
  name   = "${var.name_prefix}-postgres15"
  family = "postgres15"

  # TLS only (the application verifies the server: sslmode=verify-full
  # with the RDS CA bundle of the image).
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Statements slower than 1 s go to the postgresql log (CloudWatch).
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements"
    apply_method = "pending-reboot"
  }
}

resource "aws_db_instance" "primary" {
  identifier     = "${var.name_prefix}-db"
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  db_name                       = var.database_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn
  port                          = 5432

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name

  backup_retention_period  = var.backup_retention_period
  backup_window            = "03:00-04:00"
  maintenance_window       = "sun:04:00-sun:05:00"
  copy_tags_to_snapshot    = true
  delete_automated_backups = false

  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !var.deletion_protection
  final_snapshot_identifier = "${var.name_prefix}-db-final"

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7

  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  auto_minor_version_upgrade      = true
  allow_major_version_upgrade     = false
  apply_immediately               = false

  lifecycle {
    # Storage auto-scaling grows allocated_storage behind Terraform's back.
    ignore_changes = [allocated_storage]
  }
}

resource "aws_db_instance" "replica" {
  count = var.read_replica_count

  identifier          = "${var.name_prefix}-db-replica-${count.index + 1}"
  replicate_source_db = aws_db_instance.primary.identifier
  instance_class      = var.instance_class

  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn
  max_allocated_storage = var.max_allocated_storage

  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name

  # Replicas are rebuilt from the primary; they keep no backups of their own.
  backup_retention_period = 0
  maintenance_window      = "sun:04:00-sun:05:00"
  skip_final_snapshot     = true
  deletion_protection     = var.deletion_protection

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7

  enabled_cloudwatch_logs_exports = ["postgresql"]
  auto_minor_version_upgrade      = true
}

# RDS rotates the managed master secret every 7 days by default; the
# schedule is stated here so that it is reviewed like everything else.
resource "aws_secretsmanager_secret_rotation" "master" {
  secret_id = aws_db_instance.primary.master_user_secret[0].secret_arn
  # the schedule only: no extra rotation when this is applied
  rotate_immediately = false

  rotation_rules {
    automatically_after_days = var.master_password_rotation_days
  }
}

locals {
  # verify-full: the certificate must chain to the RDS CA and name the host.
  tls = "sslmode=verify-full&sslrootcert=${var.ca_bundle_path}"
}
