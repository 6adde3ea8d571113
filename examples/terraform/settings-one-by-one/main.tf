# The same policy as separate objects, one per setting, for comparison with
# ../token-policy. Each is an upsert (PUT) at /terraform/v1/settings/<name> and a
# reset to the default on destroy. The idle TTL must never exceed the session
# TTL, so when lowering the session TTL below the current idle TTL the idle
# setting has to be applied first: depends_on encodes that order.
locals {
  settings_path = "/terraform/v1/settings"
  independent = {
    "auth-token-max-ttl-minutes"           = tostring(var.max_ttl_minutes)
    "kubeconfig-default-token-ttl-minutes" = tostring(var.kubeconfig_ttl_minutes)
    "kubeconfig-generate-token"            = tostring(var.kubeconfig_generate_token)
  }
}

resource "restapi_object" "idle_ttl" {
  path          = local.settings_path
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "${local.settings_path}/{id}"
  data          = jsonencode({ name = "auth-user-session-idle-ttl-minutes", value = tostring(var.idle_ttl_minutes) })
}

resource "restapi_object" "session_ttl" {
  path          = local.settings_path
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "${local.settings_path}/{id}"
  data          = jsonencode({ name = "auth-user-session-ttl-minutes", value = tostring(var.session_ttl_minutes) })
  depends_on    = [restapi_object.idle_ttl]
}

resource "restapi_object" "setting" {
  for_each      = local.independent
  path          = local.settings_path
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "${local.settings_path}/{id}"
  data          = jsonencode({ name = each.key, value = each.value })
}
