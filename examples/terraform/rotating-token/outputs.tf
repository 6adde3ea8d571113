output "token" {
  value     = jsondecode(restapi_object.rotating.create_response).token
  sensitive = true
}

output "token_id" {
  value = restapi_object.rotating.id
}

output "expires_at" {
  value = nonsensitive(jsondecode(restapi_object.rotating.create_response).expiresAt)
}
