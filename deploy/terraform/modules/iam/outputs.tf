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
