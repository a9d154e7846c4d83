output "execution_role_arn" {
  description = "ECS task execution role."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "ECS task role."
  value       = aws_iam_role.task.arn
}

output "deploy_role_arn" {
  description = "Role for GitHub Actions (AWS_DEPLOY_ROLE_ARN), empty when not created."
  value       = local.deploy_enabled ? aws_iam_role.deploy[0].arn : ""
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    execution = aws_iam_role.execution
    task      = aws_iam_role.task
    deploy    = aws_iam_role.deploy
  }
}
