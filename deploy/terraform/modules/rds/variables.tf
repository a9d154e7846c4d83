variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the DB subnet group (three AZs)."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the instances (5432 from the tasks only)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for storage and Performance Insights encryption."
  type        = string
}

variable "instance_class" {
  description = "Instance class of the primary and the replicas."
  type        = string
}

variable "allocated_storage" {
  description = "Initial gp3 storage, GiB."
  type        = number
}

variable "max_allocated_storage" {
  description = "Storage auto-scaling ceiling, GiB."
  type        = number
}

variable "multi_az" {
  description = "Multi-AZ standby."
  type        = bool
}

variable "deletion_protection" {
  description = "Deletion protection (also decides whether a final snapshot is taken)."
  type        = bool
}

variable "backup_retention_period" {
  description = "Automated backup retention, days."
  type        = number
}

variable "read_replica_count" {
  description = "Number of read replicas (all of them are in DATABASE_REPLICA_URL)."
  type        = number
}

variable "engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "15"
}

variable "database_name" {
  description = "Database created on the instance."
  type        = string
  default     = "tvshows"
}

variable "master_username" {
  description = "Master user name (only `tvshows migrate` connects as this user)."
  type        = string
  default     = "tvshows"
}

variable "app_role" {
  description = "Least-privilege role of the API and worker, created by `tvshows migrate` (DATABASE_APP_ROLE)."
  type        = string
}

variable "ca_bundle_path" {
  description = "Path of the RDS CA bundle inside the image (sslrootcert)."
  type        = string
}

variable "master_password_rotation_days" {
  description = "Days between rotations of the RDS-managed master password."
  type        = number
  default     = 7
}
