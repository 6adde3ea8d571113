# A service account (a user with no password) and a short-lived token for it.
# The secret exists only in the POST response: Terraform keeps it in
# create_response, and the output below exposes it as sensitive.
resource "restapi_object" "ci_user" {
  path = "/terraform/v1/users"
  data = jsonencode({
    username = var.service_account
    name     = "CI service account"
  })
}

resource "restapi_object" "ci_token" {
  path = "/terraform/v1/tokens"
  data = jsonencode({
    description = var.description
    ttl         = var.ttl_ms
    userId      = restapi_object.ci_user.id
  })

  # userId is immutable: a new service account means a new token.
  # (restapi v1/v2 take values here; v3 takes field names: force_new = ["userId"].)
  force_new = [restapi_object.ci_user.id]
}
