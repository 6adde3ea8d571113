# The same policy as five objects, one per setting, for comparison with
# ../token-policy. Each is an upsert (PUT) at /terraform/v1/settings/<name> and a
# reset to the default on destroy. The idle TTL must never exceed the session
# TTL, so when lowering the session TTL below the current idle TTL the idle
# setting has to be applied first: depends_on encodes that order.
locals {
  settings_path = "/terraform/v1/settings"
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

resource "restapi_object" "max_ttl" {
  path          = local.settings_path
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "${local.settings_path}/{id}"
  data          = jsonencode({ name = "auth-token-max-ttl-minutes", value = tostring(var.max_ttl_minutes) })
}

resource "restapi_object" "kubeconfig_ttl" {
  path          = local.settings_path
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "${local.settings_path}/{id}"
  data          = jsonencode({ name = "kubeconfig-default-token-ttl-minutes", value = var.kubeconfig_ttl_minutes })
}

resource "restapi_object" "kubeconfig_generate_token" {
  path          = local.settings_path
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "${local.settings_path}/{id}"
  data          = jsonencode({ name = "kubeconfig-generate-token", value = var.kubeconfig_generate_token })
}
