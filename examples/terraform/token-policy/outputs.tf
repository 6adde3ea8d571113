output "policy" {
  description = "The token policy as the server echoes it"
  value       = nonsensitive(jsondecode(restapi_object.token_policy.api_response))
}
