output "web_acl_arn" {
  description = "ARN of the web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "blocked_ip_set_id" {
  description = "Id of the blocked-addresses IP set."
  value       = aws_wafv2_ip_set.blocked.id
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    web_acl     = aws_wafv2_web_acl.this
    association = aws_wafv2_web_acl_association.this
  }
}
