"""Every path the server answers: the v3 face from its operation table
(shim/faces/v3/table.py), the other faces listed here."""

from __future__ import annotations

from aiohttp import web

from shim import metrics
from shim.faces import docs, kube, ops
from shim.faces.terraform import settings as tf_settings
from shim.faces.terraform import tokens as tf_tokens
from shim.faces.terraform import users as tf_users
from shim.faces.v3.table import OPERATIONS as V3
from shim.keys import CONFIG
from shim.operations import add_to_router

TF = "/terraform/v1"


def add_routes(app: web.Application) -> None:
    app.add_routes([
        web.get("/healthz", ops.healthz),
        web.get("/readyz", ops.readyz),
        web.get("/openapi.json", docs.openapi_json),
        web.get("/docs", docs.page),
        web.get("/docs/init.js", docs.init_script),
        web.get("/docs/static/{name}", docs.asset),
        web.get(f"{kube.PREFIX}/version", kube.version),
        web.get(f"{kube.PREFIX}/api", kube.core_versions),
        web.get(f"{kube.PREFIX}/apis", kube.groups),
        web.get(f"{kube.PREFIX}/apis/authentication.k8s.io", kube.authn_group),
        web.get(f"{kube.PREFIX}/apis/authentication.k8s.io/v1", kube.authn_resources),
        web.post(f"{kube.PREFIX}/apis/authentication.k8s.io/v1/selfsubjectreviews",
                 kube.create_self_subject_review),
    ])
    add_to_router(app, V3)
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
