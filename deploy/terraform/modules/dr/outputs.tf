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
