output "settings" {
  description = "Each setting as the server echoes it"
  value = {
    for r in [
      restapi_object.idle_ttl, restapi_object.session_ttl, restapi_object.max_ttl,
      restapi_object.kubeconfig_ttl, restapi_object.kubeconfig_generate_token,
    ] : r.id => nonsensitive(jsondecode(r.api_response).value)
  }
}
