# All five token settings as one object: validated together and applied in one
# transaction, so the idle <= session rule never depends on the order Terraform
# applies resources in. Destroy resets all five to Rancher's defaults.
resource "restapi_object" "token_policy" {
  path          = "/terraform/v1/token-policies"
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "/terraform/v1/token-policies/{id}"

  data = jsonencode({
    name                                   = "default"
    "auth-token-max-ttl-minutes"           = var.max_ttl_minutes
    "auth-user-session-ttl-minutes"        = var.session_ttl_minutes
    "auth-user-session-idle-ttl-minutes"   = var.idle_ttl_minutes
    "kubeconfig-default-token-ttl-minutes" = var.kubeconfig_ttl_minutes
    "kubeconfig-generate-token"            = var.kubeconfig_generate_token
  })
}
