output "found_token_id" {
  description = "The id of the token whose description matched"
  value       = data.restapi_object.found_token.id
}
