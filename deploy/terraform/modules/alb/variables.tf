variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "vpc_id" {
  description = "VPC id."
  type        = string
}

variable "subnet_ids" {
  description = "Public subnets."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the ALB."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string
}

variable "app_port" {
  description = "Container port of the API."
  type        = number
}

variable "health_check_path" {
  description = "Liveness path of the API."
  type        = string
  default     = "/up"
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion."
  type        = bool
}

variable "access_logs_bucket" {
  description = "S3 bucket receiving the access logs."
  type        = string
}

variable "idle_timeout" {
  description = "Idle connection timeout, seconds (the API keeps idle connections longer: IDLE_TIMEOUT 75)."
  type        = number
  default     = 60
}
