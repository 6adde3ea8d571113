"""The resources the kube face serves: discovery, OpenAPI v3 and the routes derive from this."""

from __future__ import annotations

from shim.faces.kube.discovery import create_self_subject_review
from shim.faces.kube.resource import Resource
from shim.faces.kube.settings import Features, Settings
from shim.faces.kube.tokens import Tokens

OBJECT_VERBS = ("get", "list", "update", "patch", "watch")

RESOURCES: tuple[Resource, ...] = (
    Resource(
        group="ext.cattle.io", version="v1", plural="tokens", singular="token", kind="Token",
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
        adapter=Tokens(), schema="kube/token", audit="token",
        description="Token is used to authenticate requests to Rancher.",
    ),
    Resource(
        group="management.cattle.io", version="v3", plural="settings", singular="setting",
        kind="Setting", verbs=OBJECT_VERBS + ("create",), adapter=Settings(),
        schema="kube/setting", audit="setting",
        description="A Rancher global setting (only the token settings are served).",
    ),
    Resource(
        group="management.cattle.io", version="v3", plural="features", singular="feature",
        kind="Feature", verbs=OBJECT_VERBS, adapter=Features(), schema="kube/feature",
        audit="feature", description="A Rancher feature flag (only token-hashing is served).",
    ),
    Resource(
        group="authentication.k8s.io", version="v1", plural="selfsubjectreviews",
        singular="selfsubjectreview", kind="SelfSubjectReview", verbs=("create",),
        adapter=None, create_handler=create_self_subject_review,
        description="What `kubectl auth whoami` asks: who the caller is.",
    ),
)

for _resource in RESOURCES:
    if _resource.adapter is not None:
        _resource.adapter.resource = _resource
