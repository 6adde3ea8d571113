"""/k8s/clusters/<id>/: the kube face, enough of a Kubernetes API server for an
unmodified kubectl: version, discovery, OpenAPI v3, `auth whoami`, and the resources
of the table (tokens.ext.cattle.io, settings and features.management.cattle.io).

Authentication is the shared middleware's (Bearer from kubectl; `ext/<name>:<value>`
for ext tokens); errors are Kubernetes `Status` objects (shim.errors.render).
"""

from __future__ import annotations

from typing import Iterator

from aiohttp import web

from shim.faces.kube import discovery, openapi, rest, review
from shim.faces.kube.table import RESOURCES

PREFIX = rest.PREFIX
REVIEW_PATH = "/v1/authenticate"  # Rancher's kube-api-auth path; shim.middlewares names it too


def add_routes(app: web.Application) -> None:
    """Every kube route, derived from the resource table; shim/routes.py calls this."""
    openapi.setup(app, RESOURCES)
    app.add_routes([web.route(method, path, handler) for method, path, handler, *_ in
                    _all_routes()])


def operations() -> Iterator[tuple[str, str, str, str, str | None, int]]:
    """(method, path, operation id, summary, body schema, ok status) of every route,
    for /openapi.json."""
    for method, path, _, op_id, summary, body, ok in _all_routes():
        yield method, path, op_id, summary, body, ok


def _all_routes() -> list[tuple]:
    """Under /k8s/clusters/<id>; the same API groups at the server root, for the first
    cluster (as Rancher serves the local cluster's; what an API aggregator proxies to);
    and the TokenReview webhook."""
    at_root = [(method, path, handler, f"{op_id}AtRoot", f"{summary} (first cluster)", *rest)
               for method, path, handler, op_id, summary, *rest in _routes("")
               if not path.endswith(("/version", "/api"))]
    review_route = ("POST", REVIEW_PATH, review.authenticate, "kubeTokenReview",
                    "TokenReview webhook: is this token valid for the cluster?",
                    review.SCHEMA, 200)
    return [*_routes(PREFIX), *at_root, review_route]


def _routes(prefix: str) -> list[tuple]:
    found = [
        ("GET", f"{prefix}/version", discovery.version, "kubeVersion", "Kubernetes version",
         None, 200),
        ("GET", f"{prefix}/api", discovery.core_versions, "kubeCoreVersions",
         "Core API versions (none served)", None, 200),
        ("GET", f"{prefix}/apis", discovery.group_list(RESOURCES), "kubeGroups", "API groups",
         None, 200),
        ("GET", f"{prefix}/openapi/v2", openapi.swagger, "kubeOpenAPIV2",
         "OpenAPI v2 (Swagger) of every served group version", None, 200),
        ("GET", f"{prefix}/openapi/v3", openapi.root, "kubeOpenAPIRoot",
         "OpenAPI v3 documents by group version", None, 200),
        ("GET", f"{prefix}/openapi/v3/apis/{{group}}/{{version}}", openapi.group_version,
         "kubeOpenAPIGroupVersion", "The OpenAPI v3 document of a group version", None, 200),
    ]
    for group in discovery.groups(RESOURCES):
        name, group_version = group["name"], group["preferredVersion"]["groupVersion"]
        camel = "".join(p.capitalize() for p in name.split("."))
        found += [
            ("GET", f"{prefix}/apis/{name}", discovery.group(RESOURCES, name),
             f"kubeGroup{camel}", f"The {name} group", None, 200),
            ("GET", f"{prefix}/apis/{group_version}",
             discovery.resource_list(RESOURCES, group_version), f"kubeResources{camel}",
             f"The resources of {group_version}", None, 200),
        ]
    for resource in RESOURCES:
        for verb, method, path, handler in rest.routes(resource, prefix):
            body = resource.schema if verb in ("create", "update") else None
            if resource.create_handler is not None:
                body = "kube/self-subject-review"
            ok = 201 if verb == "create" else 200
            op_id = f"kube{verb.capitalize()}{resource.kind}"
            if resource.create_handler is not None:
                op_id = "createSelfSubjectReview"
            found.append((method, path, handler, op_id,
                          f"{verb} {resource.qualified}", body, ok))
    return found
