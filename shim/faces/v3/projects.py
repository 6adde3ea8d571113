"""/v3/projects: one `Default` project per configured cluster, with Rancher's id form."""

from __future__ import annotations

import hashlib

from aiohttp import web

from shim.errors import not_found
from shim.faces import http
from shim.faces.v3 import render
from shim.keys import CONFIG

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Rancher's generated-name alphabet


def project_id(cluster_id: str) -> str:
    """`<cluster>:p-xxxxx`, the same for a cluster on every start and every replica."""
    digest = hashlib.sha256(f"default-project:{cluster_id}".encode()).digest()
    suffix = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:5])
    return f"{cluster_id}:p-{suffix}"


def project_json(request: web.Request, cluster_id: str) -> dict:
    pid = project_id(cluster_id)
    return {
        "id": pid,
        "name": "Default",
        "type": "project",
        "baseType": "project",
        "clusterId": cluster_id,
        "namespaceId": cluster_id,
        "description": "Default project created for the cluster",
        "state": "active",
        "transitioning": "no",
        "transitioningMessage": "",
        "labels": {"authz.management.cattle.io/default-project": "true"},
        "links": render.links(request, "project", pid),
    }


def _projects(request: web.Request) -> list[dict]:
    return [project_json(request, c) for c in request.app[CONFIG].clusters]


async def list_projects(request: web.Request) -> web.Response:
    wanted = {k: request.query[k] for k in ("clusterId", "name") if k in request.query}
    data = [p for p in _projects(request) if all(p[k] == v for k, v in wanted.items())]
    return http.respond(render.collection(request, "project", data, filters=wanted))


async def get_project(request: web.Request) -> web.Response:
    wanted = request.match_info["id"]
    for project in _projects(request):
        if project["id"] == wanted:
            return http.respond(project)
    raise not_found(f"{wanted} not found")
