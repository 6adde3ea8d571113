output "settings" {
  description = "Each setting as the server echoes it"
  value = {
    for r in concat([restapi_object.idle_ttl, restapi_object.session_ttl], values(restapi_object.setting)) :
    r.id => nonsensitive(jsondecode(r.api_response).value)
  }
}
