output "domain_name" {
  description = "CloudFront domain name (CNAME the aliases here)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "distribution_id" {
  description = "Distribution id (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}
