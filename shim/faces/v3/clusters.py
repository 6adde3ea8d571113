"""/v3/clusters: the clusters named in the configuration, and generateKubeconfig."""

from __future__ import annotations

from aiohttp import web

from shim.audit import audited
from shim import kubeconfig, tls
from shim.core.principal import Principal
from shim.errors import ApiError, not_found
from shim.faces import http
from shim.faces.v3 import render
from shim.keys import CONFIG
from shim.settings_catalog import KUBECONFIG_GENERATE_TOKEN


def cluster_json(request: web.Request, cluster_id: str) -> dict:
    return {
        "id": cluster_id,
        "name": cluster_id,
        "type": "cluster",
        "baseType": "cluster",
        "state": "active",
        "transitioning": "no",
        "transitioningMessage": "",
        "links": render.links(request, "cluster", cluster_id),
        "actions": render.actions(request, "cluster", cluster_id),
    }


async def list_clusters(request: web.Request) -> web.Response:
    data = [cluster_json(request, c) for c in request.app[CONFIG].clusters]
    return http.respond(render.collection(request, "cluster", data))


async def get_cluster(request: web.Request) -> web.Response:
    return http.respond(cluster_json(request, _known_cluster(request)))


@audited("kubeconfig.create")
async def cluster_action(request: web.Request) -> web.Response:
    cluster_id = _known_cluster(request)
    action = request.query.get("action")
    if action != "generateKubeconfig":
        raise ApiError(404, "ActionNotAvailable", f"action {action} not available on clusters")
    user = await _kubeconfig_user(request, http.principal(request), cluster_id)
    ca = tls.ca_pem(request.app[CONFIG])
    base_url = render.base_url(request)
    config = kubeconfig.render(base_url, cluster_id, user, ca)
    headers = None
    if kubeconfig.plain_http(base_url):  # RFC 7234 warn-code 299: a persistent warning
        headers = {"Warning": f'299 - "{kubeconfig.PLAIN_HTTP_WARNING}"'}
    return http.respond({"baseType": "generateKubeConfigOutput", "config": config,
                         "type": "generateKubeConfigOutput"}, headers=headers)


async def _kubeconfig_user(request: web.Request, actor: Principal, cluster_id: str) -> dict:
    """A new kubeconfig token (scoped as the caller's token), or the exec plugin."""
    core = http.core(request)
    if core.settings.flag(KUBECONFIG_GENERATE_TOKEN):
        new = await core.tokens.create_kubeconfig_for(actor, cluster_id, http.now(request))
        return kubeconfig.token_user(new.bearer)
    command = request.app[CONFIG].exec_command
    return kubeconfig.exec_user(command, render.base_url(request), actor.user.username, cluster_id)


def _known_cluster(request: web.Request) -> str:
    cluster_id = request.match_info["id"]
    if cluster_id not in request.app[CONFIG].clusters:
        raise not_found(f"{cluster_id} not found")
    return cluster_id
