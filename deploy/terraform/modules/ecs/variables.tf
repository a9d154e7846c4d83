variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "region" {
  description = "AWS region (log driver)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the tasks."
  type        = string
}

variable "image" {
  description = "Image URI with tag."
  type        = string
}

variable "app_port" {
  description = "Container port of the API."
  type        = number
}

variable "execution_role_arn" {
  description = "Task execution role."
  type        = string
}

variable "task_role_arn" {
  description = "Task role."
  type        = string
}

variable "api_log_group" {
  description = "Log group of the API containers."
  type        = string
}

variable "worker_log_group" {
  description = "Log group of the worker and migrate containers."
  type        = string
}

variable "environment" {
  description = "Plain environment variables of every container."
  type        = map(string)
}

variable "role_environment" {
  description = "Plain environment variables of one kind of container (keys api, worker, migrate), on top of environment."
  type        = map(map(string))
}

variable "app_secrets" {
  description = "Secrets of the API and worker containers: [{ name, valueFrom }]."
  type = list(object({
    name      = string
    valueFrom = string
  }))
}

variable "migrate_secrets" {
  description = "Secrets of the migrate container: [{ name, valueFrom }]."
  type = list(object({
    name      = string
    valueFrom = string
  }))
}

variable "bootstrap" {
  description = "First deployment: create the services with no task and auto scaling held at zero, until the schema is migrated."
  type        = bool
  default     = false
}

variable "tracing_enabled" {
  description = "Run the AWS Distro for OpenTelemetry collector beside the API and worker containers."
  type        = bool
  default     = true
}

variable "otel_collector_image" {
  description = "Image of the OpenTelemetry collector sidecar."
  type        = string
  default     = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"
}

variable "business_hours_min_count" {
  description = "API floor during business hours (0 or at most api_min_count: no schedule)."
  type        = number
  default     = 0
}

variable "business_hours_start" {
  description = "When business hours start (Application Auto Scaling cron expression)."
  type        = string
  default     = "cron(0 8 ? * MON-FRI *)"
}

variable "business_hours_end" {
  description = "When business hours end (Application Auto Scaling cron expression)."
  type        = string
  default     = "cron(0 20 ? * MON-FRI *)"
}

variable "business_hours_timezone" {
  description = "Time zone of the business-hours schedule (IANA name)."
  type        = string
  default     = "America/New_York"
}

variable "api_cpu" {
  description = "API task CPU units."
  type        = number
}

variable "api_memory" {
  description = "API task memory, MiB."
  type        = number
}

variable "worker_cpu" {
  description = "Worker (and migrate) task CPU units."
  type        = number
}

variable "worker_memory" {
  description = "Worker (and migrate) task memory, MiB."
  type        = number
}

variable "api_min_count" {
  description = "Minimum API tasks."
  type        = number
}

variable "api_max_count" {
  description = "Maximum API tasks."
  type        = number
}

variable "worker_min_count" {
  description = "Minimum worker tasks."
  type        = number
}

variable "worker_max_count" {
  description = "Maximum worker tasks."
  type        = number
}

variable "cpu_target" {
  description = "Target CPU utilisation, %."
  type        = number
}

variable "memory_target" {
  description = "Target memory utilisation, %."
  type        = number
}

variable "requests_per_target" {
  description = "Target ALB requests per task per minute."
  type        = number
}

variable "scale_out_cooldown" {
  description = "Scale-out cooldown, seconds."
  type        = number
}

variable "scale_in_cooldown" {
  description = "Scale-in cooldown, seconds."
  type        = number
}

variable "target_group_arn" {
  description = "Target group of the API service."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ALB ARN suffix (request-count scaling)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "Target group ARN suffix (request-count scaling)."
  type        = string
}
