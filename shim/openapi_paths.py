"""Every documented operation: its bodies, parameters and the statuses it may answer.

A test checks that this table and the app's routes name the same operations.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from shim.core.tokens import KINDS
from shim.faces import kube
from shim.settings_catalog import SETTINGS

TF = "/terraform/v1"
KUBE = "/k8s/clusters/{cluster}"
FACE_ERRORS = {
    "v3": "Rancher's error body; a 401 is exactly Rancher's `must authenticate` body",
    "terraform": "{status, code, message, details}",
    "kube": "a Kubernetes Status object",
}
_NAMES = {
    "settings": {"type": "string", "enum": list(SETTINGS)},
    "features": {"type": "string", "enum": ["token-hashing"]},
    "token-policies": {"type": "string", "enum": ["default"]},
}


def q(name: str, schema: dict[str, Any], required: bool = False, text: str = "") -> dict:
    found = {"name": name, "in": "query", "required": required, "schema": schema}
    return found | ({"description": text} if text else {})


def op(face: str, op_id: str, summary: str, ok: dict[int, str | None], *,
       body: str | list[str] | None = None, query: list[dict] = (), errors: tuple[int, ...] = (),
       public: bool = False, media: str = "application/json", tag: str = "") -> dict[str, Any]:
    """One operation; 429 and 500 always, 401 unless public, 400/408/413/415/422 with a body."""
    statuses = set(errors) | {429, 500} | (set() if public else {401})
    if body:
        statuses |= {400, 408, 413, 415, 422}
    responses = {str(s): _ok(s, schema, media) for s, schema in ok.items()}
    error = {"$ref": f"#/components/responses/{face}-error"}
    responses |= {str(s): error for s in sorted(statuses)}
    found: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": [tag or face],
                             "responses": responses}
    if query:
        found["parameters"] = list(query)
    if body:
        found["requestBody"] = _body(body)
    if public:
        found["security"] = []
    return found


def _ok(status: int, schema: str | None, media: str) -> dict[str, Any]:
    if schema is None:
        return {"description": "done; no body"}
    shape = {"type": "string"} if media != "application/json" else _ref(schema)
    return {"description": "success", "content": {media: {"schema": shape}}}


def _body(body: str | list[str]) -> dict[str, Any]:
    schema = {"anyOf": [_ref(b) for b in body]} if isinstance(body, list) else _ref(body)
    return {"required": False, "content": {"application/json": {"schema": schema}}}


def _ref(schema: str) -> dict[str, str]:
    return {"$ref": "#/components/schemas/" + schema.replace("/", ".")}


def operations(metrics: str = "admin") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every documented operation, with path parameters."""
    for path, method, operation in [*_ops(metrics), *_v3(), *_kube(), *_terraform()]:
        params = [_path_param(path, name) for name in re.findall(r"{(\w+)}", path)]
        if params:
            operation["parameters"] = params + operation.get("parameters", [])
        yield path, method, operation


def _path_param(path: str, name: str) -> dict[str, Any]:
    collection = path.split("/{")[0].rsplit("/", 1)[-1]
    schema = _NAMES.get(collection, {"type": "string"}) if name == "name" else {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _ops(metrics: str) -> list[tuple[str, str, dict]]:
    health, ops = "responses/ops/health", "operations"
    found = [
        ("/healthz", "get", op("v3", "healthz", "The process is up", {200: health}, public=True,
                               tag=ops)),
        ("/readyz", "get", op("v3", "readyz", "The store answers", {200: health, 503: health},
                              public=True, tag=ops)),
        ("/openapi.json", "get", op("v3", "openapi", "This document",
                                    {200: "responses/ops/openapi"}, public=True, tag=ops)),
    ]
    if metrics != "off":
        found.append(("/metrics", "get", op(
            "v3", "metrics", "Prometheus metrics", {200: "text"}, errors=(403,),
            public=metrics == "public", media="text/plain", tag=ops)))
    return found


def _v3() -> list[tuple[str, str, dict]]:
    r = "responses/v3/"
    login = [q("action", {"const": "login"}, True)]
    token_filters = [
        q("limit", {"type": "integer", "minimum": 1, "maximum": 10000},
          text="page size (default 1000)"),
        q("marker", {"type": "string"}, text="pagination.next's marker"),
        q("userId", {"type": "string"}), q("description", {"type": "string"}),
        q("ttl", {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}),
        q("kind", {"enum": list(KINDS)}),
        q("enabled", {"type": "boolean"}), q("expired", {"type": "boolean"}),
        q("clusterId", {"type": "string"}),
    ]
    return [
        ("/v3-public/authProviders", "get", op("v3", "listAuthProviders", "Login providers",
                                               {200: r + "auth-provider-collection"}, public=True)),
        ("/v3-public/localProviders/local", "get", op(
            "v3", "getLocalProvider", "The local provider", {200: r + "auth-provider"},
            public=True)),
        ("/v3-public/localProviders/local", "post", op(
            "v3", "login", "Log in with a password: a session token (or 429 while throttled)",
            {201: r + "token"}, body="public/login", query=login, errors=(401, 403, 404),
            public=True)),
        ("/v3", "get", op("v3", "apiRoot", "The API root: checks a token", {200: r + "api-root"})),
        ("/v3/tokens", "get", op("v3", "listTokens", "List tokens (own, or all for admins)",
                                 {200: r + "token-collection"}, query=token_filters,
                                 errors=(422,))),
        ("/v3/tokens", "post", op(
            "v3", "createToken",
            "Create a token (201, secret shown once), or logout/logoutAll (200)",
            {201: r + "token", 200: r + "empty"}, body="v3/token-create",
            query=[q("action", {"enum": ["logout", "logoutAll"]})], errors=(403, 404, 503))),
        ("/v3/tokens/{id}", "get", op("v3", "getToken", "Read a token", {200: r + "token"},
                                      errors=(404,))),
        ("/v3/tokens/{id}", "put", op("v3", "updateToken", "Change description, enabled or ttl",
                                      {200: r + "token"}, body="v3/token-update",
                                      errors=(404, 409, 412))),
        ("/v3/tokens/{id}", "delete", op("v3", "deleteToken", "Delete a token", {204: None},
                                         errors=(400, 404, 412))),
        *_v3_settings(r), *_v3_users(r), *_v3_clusters(r),
    ]


def _v3_settings(r: str) -> list[tuple[str, str, dict]]:
    return [
        ("/v3/settings", "get", op("v3", "listSettings", "The token settings",
                                   {200: r + "setting-collection"})),
        ("/v3/settings/{name}", "get", op("v3", "getSetting", "Read a setting",
                                          {200: r + "setting"}, errors=(404,))),
        ("/v3/settings/{name}", "put", op(
            "v3", "updateSetting", "Set a setting (an empty value resets it)", {200: r + "setting"},
            body="v3/setting-update", errors=(403, 404, 405, 412))),
        ("/v3/settings/{name}", "delete", op(
            "v3", "resetSetting", "Reset a setting to its default", {204: None},
            errors=(403, 404, 405, 412, 422))),
        ("/v3/features", "get", op("v3", "listFeatures", "Feature flags",
                                   {200: r + "feature-collection"})),
        ("/v3/features/{name}", "get", op("v3", "getFeature", "Read a feature",
                                          {200: r + "feature"}, errors=(404,))),
        ("/v3/features/{name}", "put", op(
            "v3", "updateFeature", "Switch a feature (token-hashing cannot be switched off)",
            {200: r + "feature"}, body="v3/feature-update", errors=(403, 404))),
    ]


def _v3_users(r: str) -> list[tuple[str, str, dict]]:
    return [
        ("/v3/users", "get", op("v3", "listUsers", "Users (yourself, or all for admins)",
                                {200: r + "user-collection"})),
        ("/v3/users", "post", op(
            "v3", "createUser", "Create a user (201), or changepassword for yourself (200)",
            {201: r + "user", 200: r + "user"}, body=["v3/user-create", "v3/change-password"],
            query=[q("action", {"const": "changepassword"})], errors=(403, 404, 409, 503))),
        ("/v3/users/{id}", "get", op("v3", "getUser", "Read a user", {200: r + "user"},
                                     errors=(404,))),
        ("/v3/users/{id}", "post", op(
            "v3", "setPassword", "Set a user's password (admins)", {200: r + "user"},
            body="v3/set-password", query=[q("action", {"const": "setpassword"}, True)],
            errors=(403, 404))),
        ("/v3/users/{id}", "put", op("v3", "updateUser", "Change name, enabled or role",
                                     {200: r + "user"}, body="v3/user-update",
                                     errors=(403, 404, 409))),
        ("/v3/users/{id}", "delete", op("v3", "deleteUser", "Delete a user and their tokens",
                                        {204: None}, errors=(403, 404, 422))),
    ]


def _v3_clusters(r: str) -> list[tuple[str, str, dict]]:
    return [
        ("/v3/clusters", "get", op("v3", "listClusters", "Configured clusters",
                                   {200: r + "cluster-collection"})),
        ("/v3/clusters/{id}", "get", op("v3", "getCluster", "Read a cluster", {200: r + "cluster"},
                                        errors=(404,))),
        ("/v3/clusters/{id}", "post", op(
            "v3", "generateKubeconfig", "A kubeconfig for the cluster", {200: r + "kubeconfig"},
            query=[q("action", {"const": "generateKubeconfig"}, True)], errors=(404,))),
    ]


def _kube() -> list[tuple[str, str, dict]]:
    """Derived from the kube face's own table (shim/faces/kube)."""
    r, obj = "responses/kube/", "responses/kube/object"
    special = {"kubeVersion": r + "version", "createSelfSubjectReview": r + "self-subject-review"}
    found = []
    for method, path, op_id, summary, body, ok in kube.operations():
        errors = (400, 403, 404, 409, 415, 422) if method in ("POST", "PUT", "PATCH", "DELETE") \
            else (404,)
        found.append((path, method.lower(), op(
            "kube", op_id, summary, {ok: special.get(op_id, obj)}, body=body, errors=errors)))
    return found


def _terraform() -> list[tuple[str, str, dict]]:
    r = "responses/terraform/"
    search = [q(n, {"type": "string"}) for n in ("description", "userId", "clusterId", "kind")]
    renewal = [q("renewal", {"const": "field"}, text="report a due renewal as `renew`, not 404")]
    return [
        (TF + "/tokens", "get", op("terraform", "tfSearchTokens", "Search (restapi read_search)",
                                   {200: r + "token-search"}, query=search)),
        (TF + "/tokens", "post", op("terraform", "tfCreateToken", "Create: the create_response",
                                    {201: r + "token-created"}, body="terraform/token",
                                    errors=(403, 503))),
        (TF + "/tokens/{id}", "get", op("terraform", "tfGetToken", "The document last written",
                                        {200: r + "token-echo"}, query=renewal, errors=(404,))),
        (TF + "/tokens/{id}", "put", op("terraform", "tfUpdateToken", "Replace the document",
                                        {200: r + "token-echo"}, body="terraform/token",
                                        errors=(404, 409, 412))),
        (TF + "/tokens/{id}", "delete", op("terraform", "tfDeleteToken", "Delete (idempotent)",
                                           {204: None}, errors=(400, 412))),
        *_terraform_settings(), *_terraform_users(r),
    ]


def _terraform_settings() -> list[tuple[str, str, dict]]:
    r, doc, policy = "responses/terraform/", "terraform/setting", "terraform/token-policy"
    return [
        (TF + "/settings", "get", op("terraform", "tfListSettings", "Every setting's document",
                                     {200: r + "setting-collection"})),
        (TF + "/settings/{name}", "get", op("terraform", "tfGetSetting", "A setting's document",
                                            {200: doc}, errors=(404,))),
        (TF + "/settings/{name}", "put", op("terraform", "tfPutSetting", "Upsert a setting",
                                            {200: doc}, body=doc, errors=(403, 404, 405, 412))),
        (TF + "/settings/{name}", "delete", op("terraform", "tfResetSetting", "Reset to default",
                                               {204: None}, errors=(403, 404, 405, 412, 422))),
        (TF + "/token-policies", "get", op("terraform", "tfListPolicies", "The token policy",
                                           {200: r + "policy-collection"})),
        (TF + "/token-policies/{name}", "get", op("terraform", "tfGetPolicy", "The policy document",
                                                  {200: policy}, errors=(404,))),
        (TF + "/token-policies/{name}", "put", op(
            "terraform", "tfPutPolicy", "Set the five token settings atomically", {200: policy},
            body=policy, errors=(403, 404, 405))),
        (TF + "/token-policies/{name}", "delete", op(
            "terraform", "tfResetPolicy", "Reset all five settings", {204: None},
            errors=(403, 404, 405, 422))),
    ]


def _terraform_users(r: str) -> list[tuple[str, str, dict]]:
    doc = "terraform/user"
    return [
        (TF + "/users", "post", op("terraform", "tfCreateUser", "Create a service account",
                                   {201: r + "user-created"}, body=doc, errors=(403, 409, 503))),
        (TF + "/users/{id}", "get", op("terraform", "tfGetUser", "The document last written",
                                       {200: doc}, errors=(404,))),
        (TF + "/users/{id}", "put", op("terraform", "tfUpdateUser", "Replace the document",
                                       {200: doc}, body=doc, errors=(403, 404, 409))),
        (TF + "/users/{id}", "delete", op("terraform", "tfDeleteUser", "Delete (idempotent)",
                                          {204: None}, errors=(403, 422))),
    ]
