"""Version, discovery (`/api`, `/apis`, `/apis/<group>[/<version>]`) and `kubectl auth whoami`.

Discovery is derived from the resource table; aggregated discovery is not offered:
kubectl takes a plain `application/json` APIGroupList and asks each group version.
"""

from __future__ import annotations

import platform

from aiohttp import web

from shim import policy
from shim.faces import http
from shim.faces.kube.rest import known_cluster, read_body

KUBE_VERSION = "v1.32.0"  # also the v3 face's k8s-version setting
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


async def version(request: web.Request) -> web.Response:
    known_cluster(request)
    machine = platform.machine().lower()
    return http.respond({
        "major": KUBE_VERSION[1:].split(".")[0],
        "minor": KUBE_VERSION.split(".")[1],
        "gitVersion": KUBE_VERSION,
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


def groups(resources) -> list[dict]:
    """APIGroup entries, in table order, one version per group."""
    found: dict[str, dict] = {}
    for resource in resources:
        preferred = {"groupVersion": resource.group_version, "version": resource.version}
        found.setdefault(resource.group, {"name": resource.group, "versions": [preferred],
                                          "preferredVersion": preferred})
    return list(found.values())


def group_list(resources):
    async def handler(request: web.Request) -> web.Response:
        known_cluster(request)
        return http.respond({"kind": "APIGroupList", "apiVersion": "v1",
                             "groups": groups(resources)})

    return handler


def group(resources, name: str):
    entry = next(g for g in groups(resources) if g["name"] == name)

    async def handler(request: web.Request) -> web.Response:
        known_cluster(request)
        return http.respond({"kind": "APIGroup", "apiVersion": "v1", **entry})

    return handler


def resource_list(resources, group_version: str):
    served = [r.discovery() for r in resources if r.group_version == group_version]

    async def handler(request: web.Request) -> web.Response:
        known_cluster(request)
        return http.respond({"kind": "APIResourceList", "apiVersion": "v1",
                             "groupVersion": group_version, "resources": served})

    return handler


async def create_self_subject_review(request: web.Request) -> web.Response:
    """What `kubectl auth whoami` prints: the caller as the cluster sees them. The body's
    content is ignored (kubectl sends protobuf), but a JSON body must be an object."""
    known_cluster(request)
    if request.content_type == "application/json":
        await read_body(request, ("application/json",))
    actor = http.principal(request)
    user_info = {
        "username": actor.user.username,
        "uid": actor.user.id,
        "groups": ["system:authenticated"],
        "extra": {"token-id": [actor.token.id]},
    }
    return http.respond({
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": policy.rfc3339(http.now(request))},
        "status": {"userInfo": user_info},
    }, status=201)


