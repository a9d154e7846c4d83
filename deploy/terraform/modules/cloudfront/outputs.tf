output "domain_name" {
  description = "CloudFront domain name (CNAME the aliases here)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "distribution_id" {
  description = "Distribution id (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "alarm_topic_arn" {
  description = "SNS topic (us-east-1) of the CloudFront alarm."
  value       = aws_sns_topic.alarms.arn
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    distribution = aws_cloudfront_distribution.this
    cache_policy = aws_cloudfront_cache_policy.api
    alarm        = aws_cloudwatch_metric_alarm.edge_5xx
  }
}
