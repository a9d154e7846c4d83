variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "secret_arns" {
  description = "ARNs of the application's secrets."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key encrypting the secrets."
  type        = string
}

variable "log_group_arns" {
  description = "ARNs of the application log groups."
  type        = list(string)
}

variable "ecr_repository_arn" {
  description = "ARN of the image repository."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster name (scope of the deploy role)."
  type        = string
}

variable "github_repository" {
  description = "owner/name allowed to assume the deploy role (empty: no deploy role)."
  type        = string
}

variable "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider of the account."
  type        = string
}

variable "github_environment" {
  description = "GitHub Actions environment whose jobs may assume the deploy role (the OIDC subject of a job with `environment:` is repo:OWNER/NAME:environment:ENV)."
  type        = string
}

variable "tracing_enabled" {
  description = "The tasks run the OpenTelemetry collector sidecar, which sends spans to X-Ray."
  type        = bool
}

variable "promote_from_repository_arn" {
  description = "ECR repository whose verified images this environment deploys (production: staging's), empty when it builds its own."
  type        = string
  default     = ""
}
