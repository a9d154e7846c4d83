variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "account_id" {
  description = "AWS account id (bucket names are global)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the artifacts bucket."
  type        = string
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (never in production)."
  type        = bool
}

variable "log_expiry_days" {
  description = "Days the ALB access logs are kept."
  type        = number
  default     = 90
}
