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

variable "service_account" {
  description = "Username of the CI service account"
  type        = string
  default     = "ci-bot"
}

variable "description" {
  type    = string
  default = "CI pipeline token"
}

variable "ttl_ms" {
  description = "Requested lifetime in milliseconds; the server clamps it to auth-token-max-ttl-minutes"
  type        = number
  default     = 3600000
}
