terraform {
  required_providers {
    restapi = {
      source  = "Mastercard/restapi"
      version = "= 1.20.0" # the blocks here are restapi 1.x-shaped
    }
  }
}

# Works with restapi v1.20+; v3 users may use `bearer_token = var.token_shim_token`
# instead of the header.
provider "restapi" {
  uri                   = var.token_shim_url
  create_returns_object = true
  write_returns_object  = true
  headers = {
    Authorization = "Bearer ${var.token_shim_token}"
  }
}
