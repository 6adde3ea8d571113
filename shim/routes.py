"""Every path the server answers, in one table."""

from __future__ import annotations

from aiohttp import web

from shim import metrics
from shim.faces import docs, kube, ops, public
from shim.faces.terraform import settings as tf_settings
from shim.faces.terraform import tokens as tf_tokens
from shim.faces.terraform import users as tf_users
from shim.faces.v3 import clusters, features, root, settings, tokens, users
from shim.keys import CONFIG

TF = "/terraform/v1"


def add_routes(app: web.Application) -> None:
    app.add_routes([
        web.get("/healthz", ops.healthz),
        web.get("/readyz", ops.readyz),
        web.get("/openapi.json", docs.openapi_json),
        web.get("/docs", docs.page),
        web.get("/docs/", docs.to_page),
        web.get("/docs/init.js", docs.init_script),
        web.get("/docs/static/{name}", docs.asset),
        web.get("/v3-public/authProviders", public.list_providers),
        web.get("/v3-public/localProviders/local", public.get_provider),
        web.post("/v3-public/localProviders/local", public.login),
        web.get("/v3", root.root),
        web.get("/v3/tokens", tokens.list_tokens),
        web.post("/v3/tokens", tokens.create_token),
        web.get("/v3/tokens/{id}", tokens.get_token),
        web.put("/v3/tokens/{id}", tokens.update_token),
        web.delete("/v3/tokens/{id}", tokens.delete_token),
        web.get("/v3/settings", settings.list_settings),
        web.get("/v3/settings/{name}", settings.get_setting),
        web.put("/v3/settings/{name}", settings.update_setting),
        web.delete("/v3/settings/{name}", settings.delete_setting),
        web.get("/v3/features", features.list_features),
        web.get("/v3/features/{name}", features.get_feature),
        web.put("/v3/features/{name}", features.update_feature),
        web.get("/v3/users", users.list_users),
        web.post("/v3/users", users.create_user),
        web.get("/v3/users/{id}", users.get_user),
        web.post("/v3/users/{id}", users.user_action),
        web.put("/v3/users/{id}", users.update_user),
        web.delete("/v3/users/{id}", users.delete_user),
        web.get("/v3/clusters", clusters.list_clusters),
        web.get("/v3/clusters/{id}", clusters.get_cluster),
        web.post("/v3/clusters/{id}", clusters.cluster_action),
    ])
    kube.add_routes(app)
    add_terraform_routes(app)
    if app[CONFIG].metrics != "off":
        app.router.add_get("/metrics", metrics.scrape)


def add_terraform_routes(app: web.Application) -> None:
    app.add_routes([
        web.get(f"{TF}/tokens", tf_tokens.search_tokens),
        web.post(f"{TF}/tokens", tf_tokens.create_token),
        web.get(f"{TF}/tokens/{{id}}", tf_tokens.get_token),
        web.put(f"{TF}/tokens/{{id}}", tf_tokens.update_token),
        web.delete(f"{TF}/tokens/{{id}}", tf_tokens.delete_token),
        web.get(f"{TF}/settings", tf_settings.list_settings),
        web.get(f"{TF}/settings/{{name}}", tf_settings.get_setting),
        web.put(f"{TF}/settings/{{name}}", tf_settings.put_setting),
        web.delete(f"{TF}/settings/{{name}}", tf_settings.delete_setting),
        web.get(f"{TF}/token-policies", tf_settings.list_policies),
        web.get(f"{TF}/token-policies/{{name}}", tf_settings.get_policy),
        web.put(f"{TF}/token-policies/{{name}}", tf_settings.put_policy),
        web.delete(f"{TF}/token-policies/{{name}}", tf_settings.delete_policy),
        web.post(f"{TF}/users", tf_users.create_user),
        web.get(f"{TF}/users/{{id}}", tf_users.get_user),
        web.put(f"{TF}/users/{{id}}", tf_users.update_user),
        web.delete(f"{TF}/users/{{id}}", tf_users.delete_user),
    ])
