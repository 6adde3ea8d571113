output "token" {
  description = "The bearer token (<id>:<secret>), shown once by the server"
  value       = jsondecode(restapi_object.ci_token.create_response).token
  sensitive   = true
}

output "token_id" {
  value = restapi_object.ci_token.id
}

output "effective_ttl_ms" {
  description = "The TTL after clamping by the server's max TTL"
  value       = nonsensitive(jsondecode(restapi_object.ci_token.create_response).ttl)
}

output "expires_at" {
  value = nonsensitive(jsondecode(restapi_object.ci_token.create_response).expiresAt)
}

output "service_account_id" {
  value = restapi_object.ci_user.id
}
