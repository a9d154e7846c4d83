variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "retention_days" {
  description = "Days CloudTrail and Config files are kept."
  type        = number
  default     = 365
}

variable "config_rules" {
  description = "AWS managed Config rules to evaluate (source identifiers)."
  type        = list(string)
  default = [
    "RDS_STORAGE_ENCRYPTED",
    "S3_BUCKET_PUBLIC_READ_PROHIBITED",
    "S3_BUCKET_SSL_REQUESTS_ONLY",
    "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    "VPC_FLOW_LOGS_ENABLED",
  ]
}
