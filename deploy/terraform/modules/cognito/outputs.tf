output "user_pool_id" {
  description = "User pool id."
  value       = aws_cognito_user_pool.this.id
}

output "client_id" {
  description = "App client id (JWT_AUDIENCE)."
  value       = aws_cognito_user_pool_client.api.id
}

output "jwt_settings" {
  description = "The API's JWT settings for tokens of this pool."
  value = {
    JWT_ISSUER   = local.issuer
    JWT_AUDIENCE = aws_cognito_user_pool_client.api.id
    JWT_JWKS_URL = "${local.issuer}/.well-known/jwks.json"
  }
}
