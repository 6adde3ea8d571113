"""The v3 face (/v3, /v3-public, /v1, /ping), one entry per operation.

The router (shim/routes.py), the OpenAPI paths (shim/openapi_paths.py) and the Norman
schemas (GET /v3/schemas, shim/faces/v3/norman.py) are all derived from this table:
a new endpoint is one entry here.
"""

from __future__ import annotations

from shim.core.tokens import KINDS
from shim.faces import public
from shim.faces.v3 import (clusters, features, principals, projects, root, schemas, settings,
                          tokens, users)
from shim.operations import Action, Operation, q

R = "responses/v3/"

# Norman types without /v3 operations of their own -> their JSON Schema: action inputs and
# outputs, and the login providers (served under /v3-public).
EMBEDDED_TYPES = {
    "authProvider": R + "auth-provider",
    "generateKubeConfigOutput": R + "kubeconfig",
    "changePasswordInput": "v3/change-password",
    "setPasswordInput": "v3/set-password",
}


TOKEN_QUERY = (
    q("limit", {"type": "integer", "minimum": 1, "maximum": 10000},
      text="page size (default 1000)"),
    q("marker", {"type": "string"}, text="pagination.next's marker"),
    q("userId", {"type": "string"}), q("description", {"type": "string"}),
    q("ttl", {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}),
    q("kind", {"enum": list(KINDS)}),
    q("enabled", {"type": "boolean"}), q("expired", {"type": "boolean"}),
    q("clusterId", {"type": "string"}),
)
TOKEN_FILTERS = ("userId", "description", "ttl", "kind", "enabled", "expired", "clusterId")


def _public() -> list[Operation]:
    return [
        Operation("get", "/ping", root.ping, "ping", "Liveness as Rancher answers it: `pong`",
                  {200: "text"}, public=True, media="text/plain", tag="operations"),
        Operation("get", "/v3-public/authProviders", public.list_providers, "listAuthProviders",
                  "Login providers", {200: R + "auth-provider-collection"}, public=True),
        Operation("get", "/v3-public/localProviders/local", public.get_provider,
                  "getLocalProvider", "The local provider", {200: R + "auth-provider"},
                  public=True),
        Operation("post", "/v3-public/localProviders/local", public.login, "login",
                  "Log in with a password: a session token (or 429 while throttled)",
                  {201: R + "token"}, body="public/login", errors=(401, 403, 404), public=True,
                  actions=(Action("login"),), creates=False),
        Operation("get", "/v1", root.v1_root, "v1Root",
                  "A minimal /v1 root: the Rancher CLI checks it answers with X-API-Schemas",
                  {200: R + "api-root"}),
        Operation("get", "/v1-public/authproviders", public.list_providers, "listAuthProvidersV1",
                  "Login providers (Rancher 2.14+)", {200: R + "auth-provider-collection"},
                  public=True),
        Operation("post", "/v1-public/login", public.login_v1, "loginV1",
                  "Log in with a password (Rancher 2.14+): 201 with the token, or with "
                  "`responseType: cookie` the R_SESS cookie and no body",
                  {201: R + "login-v1", 200: None}, body="public/v1-login",
                  errors=(401, 403, 429), public=True),
        Operation("post", "/v1/logout", public.logout, "logoutV1",
                  "End the caller's session (`?all`: every session of theirs; an API key is "
                  "not deleted); clears the R_SESS, CSRF and R_OIDC_ID cookies", {200: None},
                  public=True),
    ]


def _root_and_schemas() -> list[Operation]:
    return [
        Operation("get", "/v3", root.root, "apiRoot", "The API root: checks a token",
                  {200: R + "api-root"}),
        Operation("get", "/v3/schemas", schemas.list_schemas, "listSchemas",
                  "Norman schemas of every v3 type, as the caller may use them",
                  {200: R + "schema-collection"}, type="schema"),
        Operation("get", "/v3/schemas/{id}", schemas.get_schema, "getSchema", "One Norman schema",
                  {200: R + "schema"}, type="schema", errors=(404,)),
    ]


def _tokens() -> list[Operation]:
    return [
        Operation("get", "/v3/tokens", tokens.list_tokens, "listTokens",
                  "List tokens (own, or all for admins)", {200: R + "token-collection"},
                  type="token", query=TOKEN_QUERY, filters=TOKEN_FILTERS, errors=(422,)),
        Operation("post", "/v3/tokens", tokens.create_token, "createToken",
                  "Create a token (201, secret shown once), or logout/logoutAll (200)",
                  {201: R + "token", 200: R + "empty"}, type="token", body="v3/token-create",
                  errors=(403, 404, 503), actions=(Action("logout"), Action("logoutAll"))),
        Operation("get", "/v3/tokens/{id}", tokens.get_token, "getToken", "Read a token",
                  {200: R + "token"}, type="token", errors=(404,)),
        Operation("put", "/v3/tokens/{id}", tokens.update_token, "updateToken",
                  "Change description, enabled, ttl, labels or annotations", {200: R + "token"},
                  type="token", body="v3/token-update", errors=(404, 409, 412)),
        Operation("delete", "/v3/tokens/{id}", tokens.delete_token, "deleteToken",
                  "Delete a token", {204: None}, type="token", errors=(400, 404, 412)),
    ]


def _settings() -> list[Operation]:
    return [
        Operation("get", "/v3/settings", settings.list_settings, "listSettings",
                  "The token settings and the read-only ones clients read",
                  {200: R + "setting-collection"}, type="setting"),
        Operation("post", "/v3/settings", settings.create_setting, "createSetting",
                  "Settings cannot be created: 409 for a managed name, 422 otherwise",
                  {201: R + "setting"}, type="setting", body="v3/setting-create",
                  errors=(403, 409), admin=True),
        Operation("get", "/v3/settings/{name}", settings.get_setting, "getSetting",
                  "Read a setting", {200: R + "setting"}, type="setting", errors=(404,)),
        Operation("put", "/v3/settings/{name}", settings.update_setting, "updateSetting",
                  "Set a setting (an empty value resets it)", {200: R + "setting"},
                  type="setting", body="v3/setting-update", errors=(403, 404, 405, 412),
                  admin=True),
        Operation("delete", "/v3/settings/{name}", settings.delete_setting, "resetSetting",
                  "Reset a setting to its default", {204: None}, type="setting",
                  errors=(403, 404, 405, 412, 422), admin=True),
        Operation("get", "/v3/features", features.list_features, "listFeatures", "Feature flags",
                  {200: R + "feature-collection"}, type="feature"),
        Operation("get", "/v3/features/{name}", features.get_feature, "getFeature",
                  "Read a feature", {200: R + "feature"}, type="feature", errors=(404,)),
        Operation("put", "/v3/features/{name}", features.update_feature, "updateFeature",
                  "Switch a feature (token-hashing cannot be switched off)", {200: R + "feature"},
                  type="feature", body="v3/feature-update", errors=(403, 404), admin=True),
    ]


def _users() -> list[Operation]:
    change = Action("changepassword", input="changePasswordInput")
    set_password = Action("setpassword", input="setPasswordInput", output="user", admin=True)
    return [
        Operation("get", "/v3/users", users.list_users, "listUsers",
                  "Users (yourself, or all for admins; `me=true`: yourself)",
                  {200: R + "user-collection"}, type="user",
                  query=(q("me", {"type": "boolean"}, text="only the caller"),)),
        Operation("post", "/v3/users", users.create_user, "createUser",
                  "Create a user (201), or changepassword for yourself (200)",
                  {201: R + "user", 200: R + "user"}, type="user", body="v3/user-create",
                  errors=(403, 404, 409, 503), admin=True, actions=(change,)),
        Operation("get", "/v3/users/{id}", users.get_user, "getUser", "Read a user",
                  {200: R + "user"}, type="user", errors=(404,)),
        Operation("post", "/v3/users/{id}", users.user_action, "setPassword",
                  "Set a user's password (admins)", {200: R + "user"}, type="user",
                  errors=(403, 404), actions=(set_password,), creates=False),
        Operation("put", "/v3/users/{id}", users.update_user, "updateUser",
                  "Change name, enabled or role", {200: R + "user"}, type="user",
                  body="v3/user-update", errors=(403, 404, 409)),
        Operation("delete", "/v3/users/{id}", users.delete_user, "deleteUser",
                  "Delete a user and their tokens", {204: None}, type="user",
                  errors=(403, 404, 422), admin=True),
    ]


def _clusters() -> list[Operation]:
    kubeconfig = Action("generateKubeconfig", output="generateKubeConfigOutput")
    return [
        Operation("get", "/v3/clusters", clusters.list_clusters, "listClusters",
                  "Configured clusters", {200: R + "cluster-collection"}, type="cluster"),
        Operation("get", "/v3/clusters/{id}", clusters.get_cluster, "getCluster",
                  "Read a cluster", {200: R + "cluster"}, type="cluster", errors=(404,)),
        Operation("post", "/v3/clusters/{id}", clusters.cluster_action, "generateKubeconfig",
                  "A kubeconfig for the cluster", {200: R + "kubeconfig"}, type="cluster",
                  errors=(404,), actions=(kubeconfig,), creates=False),
        Operation("get", "/v3/projects", projects.list_projects, "listProjects",
                  "One Default project per cluster", {200: R + "project-collection"},
                  type="project", query=(q("clusterId", {"type": "string"}),
                                         q("name", {"type": "string"})),
                  filters=("clusterId", "name")),
        Operation("get", "/v3/projects/{id}", projects.get_project, "getProject",
                  "Read a project (`<cluster>:p-xxxxx`)", {200: R + "project"}, type="project",
                  errors=(404,)),
    ]


def _principals() -> list[Operation]:
    return [
        Operation("get", "/v3/principals", principals.list_principals, "listPrincipals",
                  "The caller's principal (`me: true`)", {200: R + "principal-collection"},
                  type="principal"),
        Operation("get", "/v3/principals/{id}", principals.get_principal, "getPrincipal",
                  "The caller's principal by id", {200: R + "principal"}, type="principal",
                  errors=(404,)),
    ]


OPERATIONS: tuple[Operation, ...] = (
    *_public(), *_root_and_schemas(), *_tokens(), *_settings(), *_users(), *_principals(), *_clusters(),
)
