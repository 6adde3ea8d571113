variable "token_shim_url" {
  description = "Root URL of token-shim, e.g. http://127.0.0.1:8080 (not .../v3: the paths carry /terraform/v1)"
  type        = string
  default     = "http://127.0.0.1:8080"
}

variable "token_shim_token" {
  description = "An admin API token (<id>:<secret>) used by the restapi provider"
  type        = string
  sensitive   = true
}

variable "kubeconfig_ttl_minutes" {
  type    = string
  default = "720"
}

variable "existing_token_description" {
  type    = string
  default = "made-by-hand"
}
