variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the stack's region (primary vault, artifacts bucket)."
  type        = string
}

variable "db_instance_arn" {
  description = "ARN of the primary database instance."
  type        = string
}

variable "cross_region" {
  description = "Copy backups, replicate automated backups and buckets to dr_region."
  type        = bool
}

variable "dr_region" {
  description = "Disaster recovery region (the aws.dr provider's)."
  type        = string
}

variable "replicated_buckets" {
  description = "Buckets replicated to the DR region: name => { id, arn } (their versioning must be enabled)."
  type = map(object({
    id  = string
    arn = string
  }))
}

variable "backup_schedule" {
  description = "When AWS Backup takes the weekly snapshot (cron, UTC)."
  type        = string
  default     = "cron(0 5 ? * SUN *)"
}

variable "backup_retention_days" {
  description = "Days the weekly snapshots (and their DR copies) are kept."
  type        = number
  default     = 30
}

variable "replicated_backup_retention_days" {
  description = "Days of automated backups kept in the DR region (point-in-time restore window there)."
  type        = number
  default     = 7
}

variable "ecr_repository_prefix" {
  description = "Name prefix of the image repositories replicated to the DR region."
  type        = string
}
