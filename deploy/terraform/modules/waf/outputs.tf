output "web_acl_arn" {
  description = "ARN of the web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "blocked_ip_set_id" {
  description = "Id of the blocked-addresses IP set."
  value       = aws_wafv2_ip_set.blocked.id
}
