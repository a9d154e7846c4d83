output "alb_arn" {
  description = "ALB ARN."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ALB ARN suffix (CloudWatch dimension)."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  description = "DNS name of the ALB (point the API host name or CloudFront's origin name here)."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Hosted zone of the ALB (Route 53 alias records)."
  value       = aws_lb.this.zone_id
}

output "target_group_arn" {
  description = "Target group of the API service."
  value       = aws_lb_target_group.api.arn
}

output "target_group_arn_suffix" {
  description = "Target group ARN suffix (CloudWatch dimension, request-count scaling)."
  value       = aws_lb_target_group.api.arn_suffix
}

output "https_listener_arn" {
  description = "HTTPS listener."
  value       = aws_lb_listener.https.arn
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    target_group = aws_lb_target_group.api
    listeners    = { https = aws_lb_listener.https, http = aws_lb_listener.http }
  }
}
