# Adopting objects that already exist: a setting and a token made outside
# Terraform are brought under management with `terraform import`
# (ids are "/terraform/v1/settings/<name>" and "/terraform/v1/tokens/<id>"),
# and a data source finds a token by description with one server-side query.
resource "restapi_object" "kubeconfig_ttl" {
  path          = "/terraform/v1/settings"
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "/terraform/v1/settings/{id}"
  data          = jsonencode({ name = "kubeconfig-default-token-ttl-minutes", value = var.kubeconfig_ttl_minutes })
}

resource "restapi_object" "existing_token" {
  path = "/terraform/v1/tokens"
  data = jsonencode({ description = var.existing_token_description })
}

data "restapi_object" "found_token" {
  path         = "/terraform/v1/tokens"
  query_string = "description=${urlencode(var.existing_token_description)}"
  search_key   = "description"
  search_value = var.existing_token_description
  results_key  = "data"
}
