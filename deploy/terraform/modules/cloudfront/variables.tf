variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "aliases" {
  description = "Public host names of the distribution."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 covering the aliases."
  type        = string
}

variable "origin_domain_name" {
  description = "Host name of the ALB origin (covered by the ALB's certificate)."
  type        = string
}

variable "origin_header_value" {
  description = "Secret sent as X-Origin-Verify to the origin; the ALB's WAF blocks requests without it."
  type        = string
  sensitive   = true
}

variable "web_acl_arn" {
  description = "ARN of the CLOUDFRONT-scope WAF web ACL."
  type        = string
}

variable "default_ttl" {
  description = "TTL when the origin sends no Cache-Control, seconds (the plan: 1 hour)."
  type        = number
  default     = 3600
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "alarm_email" {
  description = "E-mail subscribed to the edge alarm topic (empty: none)."
  type        = string
  default     = ""
}

variable "error_rate_threshold" {
  description = "Alarm when more than this percentage of responses are 5xx over 5 minutes."
  type        = number
  default     = 5
}
