# bench/run.py: `terraform apply` of N tokens + the five token settings against
# token-shim's Terraform face (the shapes of examples/terraform/parallel).
terraform {
  required_providers {
    restapi = {
      source  = "Mastercard/restapi"
      version = "1.20.0"
    }
  }
}

variable "url" {
  type = string
}

variable "token" {
  type      = string
  sensitive = true
}

variable "token_count" {
  type    = number
  default = 100
}

variable "settings" {
  type = map(string)
  default = {
    "auth-token-max-ttl-minutes"           = "20000"
    "auth-user-session-ttl-minutes"        = "960"
    "auth-user-session-idle-ttl-minutes"   = "900"
    "kubeconfig-default-token-ttl-minutes" = "10000"
    "kubeconfig-generate-token"            = "true"
  }
}

provider "restapi" {
  uri                   = var.url
  create_returns_object = true
  write_returns_object  = true
  headers               = { Authorization = "Bearer ${var.token}" }
}

resource "restapi_object" "token" {
  count = var.token_count
  path  = "/terraform/v1/tokens"
  data  = jsonencode({ description = "bench-${count.index}", ttl = 3600000 })
}

resource "restapi_object" "setting" {
  for_each      = var.settings
  path          = "/terraform/v1/settings"
  id_attribute  = "name"
  create_method = "PUT"
  create_path   = "/terraform/v1/settings/{id}"
  data          = jsonencode({ name = each.key, value = each.value })
}
