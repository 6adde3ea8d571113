# A token that comes back fresh on the next apply once it is expired, disabled,
# deleted, or within renew_before_ms of expiry. This is the block for restapi
# v1.x and v2.x: the server answers 404 for a token due for renewal, the
# provider drops it from state and the apply creates a new one; the server then
# deletes the old token (same document, renewal due). See README.md for v3.
resource "restapi_object" "rotating" {
  path = "/terraform/v1/tokens"
  data = jsonencode({
    description = "rotating deploy token"
    ttl         = var.ttl_ms
    renew       = var.renew
    renewBefore = var.renew_before_ms
  })
}

# Anything that consumes the secret is updated in the same apply.
resource "terraform_data" "consumer" {
  input = sha256(jsondecode(restapi_object.rotating.create_response).token)
}
