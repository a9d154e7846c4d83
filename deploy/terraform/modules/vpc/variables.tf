variable "name_prefix" {
  description = "Prefix of every name, e.g. production-tv-shows."
  type        = string
}

variable "cidr_block" {
  description = "VPC CIDR block."
  type        = string
}

variable "public_subnet_cidrs" {
  description = "Public subnet CIDRs, one per AZ (ALB, NAT)."
  type        = list(string)
}

variable "private_subnet_cidrs" {
  description = "Private subnet CIDRs, one per AZ (tasks in the first two; databases in all)."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per public subnet."
  type        = bool
}

variable "app_port" {
  description = "Container port of the API."
  type        = number
}

variable "flow_log_retention" {
  description = "Retention of the VPC flow log group, days."
  type        = number
}

variable "interface_endpoints" {
  description = "Services reached through VPC interface endpoints (suffixes of com.amazonaws.<region>.), empty for none."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "secretsmanager", "logs"]
}
