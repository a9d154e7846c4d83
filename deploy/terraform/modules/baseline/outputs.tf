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

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    trail     = aws_cloudtrail.this
    guardduty = aws_guardduty_detector.this
    recorder  = aws_config_configuration_recorder.this
    recording = aws_config_configuration_recorder_status.this
    rules     = aws_config_config_rule.managed
  }
}
