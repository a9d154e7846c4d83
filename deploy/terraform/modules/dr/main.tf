# Disaster recovery (plan: "Manual Snapshots: Weekly, 30 days retention;
# Cross-Region Replication: us-west-2 (production); ElastiCache daily, 5
# days; S3 Cross-Region Replication"). RTO 4 h, RPO 1 h:
# docs/runbooks/data-recovery.md does the arithmetic.
#
#   AWS Backup      a weekly snapshot of the primary database kept 30 days,
#                   copied to a vault in the DR region (kept 30 days there)
#   RDS             automated backups and transaction logs replicated to the
#                   DR region (point-in-time restore there, minutes behind)
#   S3              the artifacts and logs buckets replicated to versioned
#                   buckets in the DR region
#   ECR             this environment's image repository replicated to the
#                   DR region (the images a recovery deploys)
#
# Everything in the DR region exists only with cross_region (production).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account     = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  cross       = var.cross_region ? 1 : 0
  replicated  = var.cross_region ? var.replicated_buckets : {}
  replica_key = var.cross_region ? aws_kms_key.dr[0].arn : null
}

###############################################################################
# Keys and vaults
###############################################################################

resource "aws_kms_key" "dr" {
  count    = local.cross
  provider = aws.dr

  description             = "${var.name_prefix} disaster recovery copies (backups, replicated buckets)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_backup_vault" "primary" {
  name        = "${var.name_prefix}-backups"
  kms_key_arn = var.kms_key_arn
}

resource "aws_backup_vault" "dr" {
  count    = local.cross
  provider = aws.dr

  name        = "${var.name_prefix}-backups-dr"
  kms_key_arn = aws_kms_key.dr[0].arn
}

###############################################################################
# AWS Backup: weekly, 30 days, copied to the DR region
###############################################################################

resource "aws_backup_plan" "weekly" {
  name = "${var.name_prefix}-weekly"

  rule {
    rule_name         = "weekly-30-days"
    target_vault_name = aws_backup_vault.primary.name
    # Sundays 05:00 UTC: after the automated backup window (03:00-04:00)
    # and the maintenance window (Sun 04:00-05:00).
    schedule          = var.backup_schedule
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = var.backup_retention_days
    }

    dynamic "copy_action" {
      for_each = var.cross_region ? [1] : []
      content {
        destination_vault_arn = aws_backup_vault.dr[0].arn
        lifecycle {
          delete_after = var.backup_retention_days
        }
      }
    }
  }
}

data "aws_iam_policy_document" "backup_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "backup" {
  name               = "${var.name_prefix}-backup"
  assume_role_policy = data.aws_iam_policy_document.backup_assume.json
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset(["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"])

  role       = aws_iam_role.backup.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/${each.key}"
}

resource "aws_backup_selection" "database" {
  name         = "${var.name_prefix}-database"
  plan_id      = aws_backup_plan.weekly.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [var.db_instance_arn]
}

###############################################################################
# RDS: automated backups and transaction logs replicated to the DR region
###############################################################################

resource "aws_db_instance_automated_backups_replication" "this" {
  count    = local.cross
  provider = aws.dr

  source_db_instance_arn = var.db_instance_arn
  kms_key_id             = aws_kms_key.dr[0].arn
  retention_period       = var.replicated_backup_retention_days
}

###############################################################################
# S3 cross-region replication
###############################################################################

resource "aws_s3_bucket" "replica" {
  for_each = local.replicated
  provider = aws.dr

  bucket        = "${each.value.id}-${var.dr_region}"
  force_destroy = false
}

resource "aws_s3_bucket_ownership_controls" "replica" {
  for_each = local.replicated
  provider = aws.dr

  bucket = aws_s3_bucket.replica[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "replica" {
  for_each = local.replicated
  provider = aws.dr

  bucket                  = aws_s3_bucket.replica[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "replica" {
  for_each = local.replicated
  provider = aws.dr

  bucket = aws_s3_bucket.replica[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "replica" {
  for_each = local.replicated
  provider = aws.dr

  bucket = aws_s3_bucket.replica[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.dr[0].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "replica" {
  for_each = local.replicated
  provider = aws.dr

  bucket = aws_s3_bucket.replica[each.key].id

  rule {
    id     = "tiering"
    status = "Enabled"
    filter {}

    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }

    transition {
      days          = 90
      storage_class = "GLACIER"
    }

    noncurrent_version_expiration {
      noncurrent_days = 90
    }
  }
}

data "aws_iam_policy_document" "replica" {
  for_each = local.replicated

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.replica[each.key].arn,
      "${aws_s3_bucket.replica[each.key].arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "replica" {
  for_each = local.replicated
  provider = aws.dr

  bucket = aws_s3_bucket.replica[each.key].id
  policy = data.aws_iam_policy_document.replica[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.replica]
}

data "aws_iam_policy_document" "replication_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "replication" {
  count = length(local.replicated) > 0 ? 1 : 0

  name               = "${var.name_prefix}-s3-replication"
  assume_role_policy = data.aws_iam_policy_document.replication_assume.json
}

data "aws_iam_policy_document" "replication" {
  statement {
    sid       = "ReadSourceConfiguration"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [for b in local.replicated : b.arn]
  }

  statement {
    sid = "ReadSourceObjects"
    actions = [
      "s3:GetObjectVersionForReplication",
      "s3:GetObjectVersionAcl",
      "s3:GetObjectVersionTagging",
    ]
    resources = [for b in local.replicated : "${b.arn}/*"]
  }

  statement {
    sid       = "WriteReplicas"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = [for r in aws_s3_bucket.replica : "${r.arn}/*"]
  }

  statement {
    sid       = "DecryptSource"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "EncryptReplicas"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [for k in aws_kms_key.dr : k.arn]
  }
}

resource "aws_iam_role_policy" "replication" {
  count = length(local.replicated) > 0 ? 1 : 0

  name   = "replicate"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication.json
}

resource "aws_s3_bucket_replication_configuration" "this" {
  for_each = local.replicated

  bucket = each.value.id
  role   = aws_iam_role.replication[0].arn

  rule {
    id     = "to-${var.dr_region}"
    status = "Enabled"
    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = aws_s3_bucket.replica[each.key].arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = local.replica_key
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.replica]
}

###############################################################################
# ECR: images replicated to the DR region. The replication configuration is
# one per registry: only the environment with cross_region sets it.
###############################################################################

resource "aws_ecr_replication_configuration" "this" {
  count = local.cross

  replication_configuration {
    rule {
      destination {
        region      = var.dr_region
        registry_id = local.account
      }

      repository_filter {
        filter      = var.ecr_repository_prefix
        filter_type = "PREFIX_MATCH"
      }
    }
  }
}
