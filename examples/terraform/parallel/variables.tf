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

variable "count_each" {
  type    = number
  default = 10
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
