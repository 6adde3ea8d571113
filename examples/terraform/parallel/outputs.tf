output "token_ids" {
  value = restapi_object.token[*].id
}
