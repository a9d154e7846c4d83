output "trail_arn" {
  description = "ARN of the multi-region trail."
  value       = aws_cloudtrail.this.arn
}

output "guardduty_detector_id" {
  description = "GuardDuty detector id."
  value       = aws_guardduty_detector.this.id
}

output "config_recorder_name" {
  description = "AWS Config recorder."
  value       = aws_config_configuration_recorder.this.name
}

output "audit_bucket" {
  description = "Bucket of the CloudTrail and Config files."
  value       = aws_s3_bucket.audit.id
}
