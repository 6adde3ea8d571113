"""The Terraform face (/terraform/v1), one entry per operation: the router and the OpenAPI
paths are derived from this table (see shim/operations.py)."""

from __future__ import annotations

from functools import partial

from shim.faces.terraform import settings, tokens, users
from shim.operations import Operation, q

TF = "/terraform/v1"
R = "responses/terraform/"
SETTING, POLICY, USER = "terraform/setting", "terraform/token-policy", "terraform/user"

op = partial(Operation, face="terraform")

_SEARCH = tuple(q(n, {"type": "string"}) for n in ("description", "userId", "clusterId", "kind"))
_RENEWAL = (q("renewal", {"const": "field"}, text="report a due renewal as `renew`, not 404"),)

OPERATIONS: tuple[Operation, ...] = (
    op("get", f"{TF}/tokens", tokens.search_tokens, "tfSearchTokens",
       "Search (restapi read_search)", {200: R + "token-search"}, query=_SEARCH),
    op("post", f"{TF}/tokens", tokens.create_token, "tfCreateToken",
       "Create: the create_response", {201: R + "token-created"}, body="terraform/token",
       errors=(403, 503)),
    op("get", f"{TF}/tokens/{{id}}", tokens.get_token, "tfGetToken",
       "The document last written", {200: R + "token-echo"}, query=_RENEWAL, errors=(404,)),
    op("put", f"{TF}/tokens/{{id}}", tokens.update_token, "tfUpdateToken",
       "Replace the document", {200: R + "token-echo"}, body="terraform/token",
       errors=(404, 409, 412)),
    op("delete", f"{TF}/tokens/{{id}}", tokens.delete_token, "tfDeleteToken",
       "Delete (idempotent)", {204: None}, errors=(400, 412)),
    op("get", f"{TF}/settings", settings.list_settings, "tfListSettings",
       "Every setting's document", {200: R + "setting-collection"}),
    op("get", f"{TF}/settings/{{name}}", settings.get_setting, "tfGetSetting",
       "A setting's document", {200: SETTING}, errors=(404,)),
    op("put", f"{TF}/settings/{{name}}", settings.put_setting, "tfPutSetting",
       "Upsert a setting", {200: SETTING}, body=SETTING, errors=(403, 404, 405, 412), admin=True),
    op("delete", f"{TF}/settings/{{name}}", settings.delete_setting, "tfResetSetting",
       "Reset to default", {204: None}, errors=(403, 404, 405, 412, 422), admin=True),
    op("get", f"{TF}/token-policies", settings.list_policies, "tfListPolicies",
       "The token policy", {200: R + "policy-collection"}),
    op("get", f"{TF}/token-policies/{{name}}", settings.get_policy, "tfGetPolicy",
       "The policy document", {200: POLICY}, errors=(404,)),
    op("put", f"{TF}/token-policies/{{name}}", settings.put_policy, "tfPutPolicy",
       "Set the five token settings atomically", {200: POLICY}, body=POLICY,
       errors=(403, 404, 405), admin=True),
    op("delete", f"{TF}/token-policies/{{name}}", settings.delete_policy, "tfResetPolicy",
       "Reset all five settings", {204: None}, errors=(403, 404, 405, 422), admin=True),
    op("post", f"{TF}/users", users.create_user, "tfCreateUser", "Create a service account",
       {201: R + "user-created"}, body=USER, errors=(403, 409, 503), admin=True),
    op("get", f"{TF}/users/{{id}}", users.get_user, "tfGetUser", "The document last written",
       {200: USER}, errors=(404,)),
    op("put", f"{TF}/users/{{id}}", users.update_user, "tfUpdateUser", "Replace the document",
       {200: USER}, body=USER, errors=(403, 404, 409)),
    op("delete", f"{TF}/users/{{id}}", users.delete_user, "tfDeleteUser", "Delete (idempotent)",
       {204: None}, errors=(403, 422), admin=True),
)
