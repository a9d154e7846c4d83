variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "secret_path" {
  description = "Path under which the secrets are named, e.g. tv-shows-api/production."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the secrets."
  type        = string
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
}

variable "database_url" {
  description = "DATABASE_URL."
  type        = string
  sensitive   = true
}

variable "database_replica_url" {
  description = "DATABASE_REPLICA_URL, empty when there is no replica."
  type        = string
  sensitive   = true
}

variable "redis_url" {
  description = "REDIS_URL."
  type        = string
  sensitive   = true
}
