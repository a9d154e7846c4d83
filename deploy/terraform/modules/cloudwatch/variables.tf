variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "environment" {
  description = "dev, staging or production."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the API and worker log groups, days."
  type        = number
}

variable "alarm_email" {
  description = "E-mail subscribed to the alarm topic (empty: none)."
  type        = string
}

variable "metric_namespace" {
  description = "Namespace of the application's EMF metrics."
  type        = string
  default     = "TvShows"
}


variable "error_rate_threshold" {
  description = "Alarm when more than this percentage of requests answer 5xx over 5 minutes."
  type        = number
  default     = 5
}

variable "latency_threshold_ms" {
  description = "Alarm when the latency percentile exceeds this over 5 minutes, ms."
  type        = number
  default     = 2000
}

variable "latency_percentile" {
  description = "Percentile of the load balancer's TargetResponseTime the latency alarm watches."
  type        = string
  default     = "p99"
}

variable "queue_backlog_threshold" {
  description = "Alarm when more jobs than this wait for 15 minutes."
  type        = number
  default     = 100
}

variable "alb_arn_suffix" {
  description = "ALB ARN suffix (LoadBalancer dimension)."
  type        = string
}

variable "target_group_suffix" {
  description = "Target group ARN suffix (TargetGroup dimension)."
  type        = string
}

variable "db_instance_id" {
  description = "Identifier of the primary RDS instance."
  type        = string
}

variable "db_allocated_storage" {
  description = "Initial storage of the database, GiB (free-space alarm at 10 %)."
  type        = number
}

variable "cluster_name" {
  description = "ECS cluster (running task count alarms)."
  type        = string
}

variable "api_service_name" {
  description = "ECS API service."
  type        = string
}

variable "worker_service_name" {
  description = "ECS worker service."
  type        = string
}

variable "bootstrap" {
  description = "First deployment, services held at zero tasks: the alarms that watch for running tasks notify nobody yet."
  type        = bool
  default     = false
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of the environment, USD."
  type        = number
}
