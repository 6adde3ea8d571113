"""/v3/clusters: the clusters named in the configuration."""

from __future__ import annotations

from aiohttp import web

from shim.errors import not_found
from shim.faces import http
from shim.faces.v3 import render
from shim.keys import CONFIG


def cluster_json(request: web.Request, cluster_id: str) -> dict:
    return {
        "id": cluster_id,
        "name": cluster_id,
        "type": "cluster",
        "baseType": "cluster",
        "state": "active",
        "links": {"self": f"{render.base_url(request)}/v3/clusters/{cluster_id}"},
        "actions": {
            "generateKubeconfig":
                f"{render.base_url(request)}/v3/clusters/{cluster_id}?action=generateKubeconfig",
        },
    }


async def list_clusters(request: web.Request) -> web.Response:
    data = [cluster_json(request, c) for c in request.app[CONFIG].clusters]
    return http.respond(render.collection(request, "cluster", data))


async def get_cluster(request: web.Request) -> web.Response:
    cluster_id = request.match_info["id"]
    if cluster_id not in request.app[CONFIG].clusters:
        raise not_found(f"{cluster_id} not found")
    return http.respond(cluster_json(request, cluster_id))
