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

output "versioned_buckets" {
  description = "The buckets the plan names (artifacts and dumps, logs), for cross-region replication: name => { id, arn }, once versioning is on."
  value = {
    artifacts = { id = aws_s3_bucket.artifacts.id, arn = aws_s3_bucket.artifacts.arn }
    logs      = { id = aws_s3_bucket.logs.id, arn = aws_s3_bucket.logs.arn }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts, aws_s3_bucket_versioning.logs]
}
