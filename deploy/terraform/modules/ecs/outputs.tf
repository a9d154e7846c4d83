output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "api_service_name" {
  description = "API service."
  value       = aws_ecs_service.api.name
}

output "worker_service_name" {
  description = "Worker service."
  value       = aws_ecs_service.worker.name
}

output "migrate_task_family" {
  description = "Task definition family of the migrate task (and one-off commands)."
  value       = aws_ecs_task_definition.migrate.family
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    cluster          = aws_ecs_cluster.this
    task_definitions = { api = aws_ecs_task_definition.api, worker = aws_ecs_task_definition.worker, migrate = aws_ecs_task_definition.migrate }
    services         = { api = aws_ecs_service.api, worker = aws_ecs_service.worker }
    scaling_targets  = { api = aws_appautoscaling_target.api, worker = aws_appautoscaling_target.worker }
    scaling_policies = { api_cpu = aws_appautoscaling_policy.api_cpu, api_memory = aws_appautoscaling_policy.api_memory, api_requests = aws_appautoscaling_policy.api_requests, worker_cpu = aws_appautoscaling_policy.worker_cpu }
    business_hours   = concat(aws_appautoscaling_scheduled_action.api_business_hours_start, aws_appautoscaling_scheduled_action.api_business_hours_end)
  }
}
