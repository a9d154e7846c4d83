output "backup_plan_id" {
  description = "AWS Backup plan of the weekly snapshots."
  value       = aws_backup_plan.weekly.id
}

output "dr_vault_arn" {
  description = "Backup vault in the DR region, empty without cross_region."
  value       = var.cross_region ? aws_backup_vault.dr[0].arn : ""
}

output "replica_buckets" {
  description = "Replica bucket names in the DR region, by source name."
  value       = { for k, b in aws_s3_bucket.replica : k => b.id }
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    plan            = aws_backup_plan.weekly
    selection       = aws_backup_selection.database
    rds_replication = aws_db_instance_automated_backups_replication.this
    replica_buckets = aws_s3_bucket.replica
    replication     = aws_s3_bucket_replication_configuration.this
    ecr_replication = aws_ecr_replication_configuration.this
  }
}
