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

variable "max_ttl_minutes" {
  type    = number
  default = 43200
}

variable "session_ttl_minutes" {
  type    = number
  default = 480
}

variable "idle_ttl_minutes" {
  type    = number
  default = 60
}

variable "kubeconfig_ttl_minutes" {
  type    = number
  default = 1440
}

variable "kubeconfig_generate_token" {
  type    = bool
  default = true
}
