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

variable "redis_url" {
  description = "REDIS_URL."
  type        = string
  sensitive   = true
}

variable "master_secret_arn" {
  description = "ARN of the RDS-managed master user secret (JSON keys username, password)."
  type        = string
}

variable "jwt_from_environment" {
  description = "JWT_ISSUER, JWT_AUDIENCE and JWT_JWKS_URL are plain settings (from Cognito), not keys of the auth secret."
  type        = bool
  default     = false
}

variable "replica_region" {
  description = "Region holding replicas of the secrets operators set (app-db, auth), empty for none."
  type        = string
  default     = ""
}
