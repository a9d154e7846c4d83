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
