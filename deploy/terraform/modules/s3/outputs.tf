output "artifacts_bucket_id" {
  description = "Artifacts bucket (database dumps, exports)."
  value       = aws_s3_bucket.artifacts.id
}

output "logs_bucket_id" {
  description = "Access-log bucket."
  value       = aws_s3_bucket.logs.id

  # The ALB checks on creation that it may write here.
  depends_on = [aws_s3_bucket_policy.logs]
}
