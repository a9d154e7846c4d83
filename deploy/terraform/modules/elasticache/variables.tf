variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the cache subnet group."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the nodes (6379 from the tasks only)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for at-rest encryption."
  type        = string
}

variable "node_type" {
  description = "Node type."
  type        = string
}

variable "num_nodes" {
  description = "Nodes: one primary plus replicas in other AZs."
  type        = number
}

variable "engine_version" {
  description = "Redis version."
  type        = string
  default     = "7.1"
}

variable "snapshot_retention_days" {
  description = "Daily snapshots kept, days."
  type        = number
  default     = 5
}

variable "log_retention_days" {
  description = "Retention of the slow log group, days."
  type        = number
}
