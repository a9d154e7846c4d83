variable "name" {
  description = "Name of the web ACL."
  type        = string
}

variable "scope" {
  description = "REGIONAL (ALB) or CLOUDFRONT (the provider must then be in us-east-1)."
  type        = string

  validation {
    condition     = contains(["REGIONAL", "CLOUDFRONT"], var.scope)
    error_message = "scope must be REGIONAL or CLOUDFRONT."
  }
}

variable "rate_limit" {
  description = "Requests allowed per client address in each evaluation window."
  type        = number
  default     = 100
}

variable "rate_window_seconds" {
  description = "Evaluation window of the rate rule, seconds (60, 120, 300 or 600)."
  type        = number
  default     = 60

  validation {
    condition     = contains([60, 120, 300, 600], var.rate_window_seconds)
    error_message = "rate_window_seconds must be 60, 120, 300 or 600."
  }
}

variable "rate_limit_key" {
  description = "What the rate rule counts per: IP (the connecting address) or FORWARDED_IP (first X-Forwarded-For address)."
  type        = string
  default     = "IP"

  validation {
    condition     = contains(["IP", "FORWARDED_IP"], var.rate_limit_key)
    error_message = "rate_limit_key must be IP or FORWARDED_IP."
  }
}

variable "blocked_cidrs" {
  description = "IPv4 CIDRs blocked outright."
  type        = list(string)
  default     = []
}

variable "require_origin_header" {
  description = "Block requests without the X-Origin-Verify header CloudFront adds (so the ALB cannot be reached around CloudFront)."
  type        = bool
  default     = false
}

variable "origin_header_value" {
  description = "Value of X-Origin-Verify when require_origin_header is set."
  type        = string
  default     = ""
  sensitive   = true
}

variable "associate_resource" {
  description = "Associate the web ACL with associated_resource_arn (REGIONAL only; CloudFront references the ACL itself)."
  type        = bool
  default     = false
}

variable "associated_resource_arn" {
  description = "ARN of the ALB to protect."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "Retention of the WAF log group, days."
  type        = number
}

variable "blocked_countries" {
  description = "ISO 3166-1 alpha-2 country codes whose requests are refused (403), empty for none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.blocked_countries : can(regex("^[A-Z]{2}$", c))])
    error_message = "blocked_countries holds two-letter upper-case ISO 3166 codes."
  }
}
