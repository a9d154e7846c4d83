output "secret_arns" {
  description = "ARNs of the application's secrets (the only ones its roles may read)."
  value = [
    aws_secretsmanager_secret.connections.arn,
    aws_secretsmanager_secret.auth.arn,
  ]
}

output "connections_secret_arn" {
  description = "ARN of the connections secret."
  value       = aws_secretsmanager_secret.connections.arn
}

output "auth_secret_arn" {
  description = "ARN of the auth secret."
  value       = aws_secretsmanager_secret.auth.arn
}

output "container_secrets" {
  description = "The secrets block of the container definitions: one environment variable per JSON key."
  value = concat(
    [for k in local.connection_keys : {
      name      = k
      valueFrom = "${aws_secretsmanager_secret.connections.arn}:${k}::"
    }],
    [for k in local.auth_keys : {
      name      = k
      valueFrom = "${aws_secretsmanager_secret.auth.arn}:${k}::"
    }],
  )
}
