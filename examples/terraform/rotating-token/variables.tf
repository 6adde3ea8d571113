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


variable "ttl_ms" {
  description = "Lifetime of each token in milliseconds"
  type        = number
  default     = 86400000
}

variable "renew_before_ms" {
  description = "Replace the token this long before it expires"
  type        = number
  default     = 3600000
}

variable "renew" {
  description = "Opt into renewal (false: the token just expires in state)"
  type        = bool
  default     = true
}
