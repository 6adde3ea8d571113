"""/k8s/clusters/<id>/: just enough of a Kubernetes API server for kubectl to prove
that a token works — version, discovery and `kubectl auth whoami`.

Authentication is the shared middleware's (Bearer from kubectl); errors are
rendered as Kubernetes `Status` objects because the path belongs to the kube face.
"""

from __future__ import annotations

import platform

from aiohttp import web

from shim import policy
from shim.errors import not_found
from shim.faces import http
from shim.keys import CONFIG

PREFIX = "/k8s/clusters/{cluster}"
AUTHN_GROUP = "authentication.k8s.io"
AUTHN_VERSION = f"{AUTHN_GROUP}/v1"
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

SELF_SUBJECT_REVIEWS = {
    "name": "selfsubjectreviews",
    "singularName": "selfsubjectreview",
    "namespaced": False,
    "kind": "SelfSubjectReview",
    "verbs": ["create"],
}


def known_cluster(request: web.Request) -> str:
    cluster_id = request.match_info["cluster"]
    if cluster_id not in request.app[CONFIG].clusters:
        raise not_found(f'clusters "{cluster_id}" not found')
    return cluster_id


async def version(request: web.Request) -> web.Response:
    known_cluster(request)
    machine = platform.machine().lower()
    return http.respond({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0",
        "gitCommit": "token-shim",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T00:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": f"{platform.system().lower()}/{_ARCH.get(machine, machine)}",
    })


async def core_versions(request: web.Request) -> web.Response:
    """No core ("v1") resources are served, so none is announced: kubectl's discovery
    treats an announced but empty group version as an error on every command."""
    known_cluster(request)
    return http.respond({"kind": "APIVersions", "versions": [], "serverAddressByClientCIDRs": []})


async def groups(request: web.Request) -> web.Response:
    known_cluster(request)
    return http.respond({"kind": "APIGroupList", "apiVersion": "v1", "groups": [_authn_group()]})


async def authn_group(request: web.Request) -> web.Response:
    known_cluster(request)
    return http.respond({"kind": "APIGroup", "apiVersion": "v1", **_authn_group()})


async def authn_resources(request: web.Request) -> web.Response:
    known_cluster(request)
    return http.respond(_resource_list(AUTHN_VERSION, [SELF_SUBJECT_REVIEWS]))


async def create_self_subject_review(request: web.Request) -> web.Response:
    """What `kubectl auth whoami` prints: the caller as the cluster sees them."""
    known_cluster(request)
    actor = http.principal(request)
    user_info = {
        "username": actor.user.username,
        "uid": actor.user.id,
        "groups": ["system:authenticated"],
        "extra": {"token-id": [actor.token.id]},
    }
    return http.respond({
        "kind": "SelfSubjectReview",
        "apiVersion": AUTHN_VERSION,
        "metadata": {"creationTimestamp": policy.rfc3339(http.now(request))},
        "status": {"userInfo": user_info},
    }, status=201)


def _authn_group() -> dict:
    preferred = {"groupVersion": AUTHN_VERSION, "version": "v1"}
    return {"name": AUTHN_GROUP, "versions": [preferred], "preferredVersion": preferred}


def _resource_list(group_version: str, resources: list[dict]) -> dict:
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}
