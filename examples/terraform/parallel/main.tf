# Ten tokens, ten service accounts and the five settings, applied with
# Terraform's default parallelism (10).
resource "restapi_object" "user" {
  count = var.count_each
  path  = "/terraform/v1/users"
  data  = jsonencode({ username = "parallel-${count.index}" })
}

resource "restapi_object" "token" {
  count = var.count_each
  path  = "/terraform/v1/tokens"
  data  = jsonencode({ description = "parallel-${count.index}", ttl = 3600000 })
}

resource "restapi_object" "setting" {
  for_each      = var.settings
  path          = "/terraform/v1/settings"
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "/terraform/v1/settings/{id}"
  data          = jsonencode({ name = each.key, value = each.value })
}
