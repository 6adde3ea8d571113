"""The /v1 (Steve) face and the dashboard's version endpoints, one entry per operation: the
router (`add_routes` in __init__.py) and the OpenAPI paths are derived from it."""

from __future__ import annotations

from shim.faces.steve import handlers, subscribe
from shim.operations import Operation, q

S = "responses/steve/"
LIST_QUERY = (
    q("limit", {"type": "integer"}, text="page size; the reply's pagination.next names the next page"),
    q("continue", {"type": "string"}, text="the `continue` of the previous page"),
    q("exclude", {"type": "string"}, text="accepted and ignored (`metadata.managedFields`)"),
)
TYPE_TEXT = ("`{type}`: a schema id or its plural (management.cattle.io.settings, "
             "management.cattle.io.clusters, management.cattle.io.users, "
             "management.cattle.io.features, management.cattle.io.projects, "
             "ext.cattle.io.tokens, ext.cattle.io.selfusers, userpreferences, counts)")


def _v(method, path, handler, op_id, summary, ok, **extra) -> Operation:
    return Operation(method, path, handler, op_id, summary, ok, tag="steve", **extra)


OPERATIONS: tuple[Operation, ...] = (
    _v("get", "/v1/subscribe", subscribe.subscribe, "subscribeV1",
       "Websocket: resource.create/change/remove of what the client watches; ping every 30 s",
       {101: None}, errors=(400, 403)),
    _v("get", "/v3/subscribe", subscribe.subscribe, "subscribeV3",
       "Websocket for Norman types (token, setting, feature), as /v1/subscribe",
       {101: None}, errors=(400, 403)),
    _v("get", "/v1/uiplugins", handlers.uiplugins, "uiPlugins",
       "UI extensions: none (`{entries: {}}`)", {200: S + "ui-plugins"}, public=True),
    _v("get", "/rancherversion", handlers.rancher_version, "rancherVersion",
       "The Rancher version the dashboard shows", {200: S + "rancher-version"}, public=True),
    _v("get", "/version", handlers.kube_version, "kubeVersionRoot",
       "The Kubernetes version, as Rancher serves it at its root",
       {200: "responses/kube/version"}, public=True),
    _v("get", "/v1/schemas", handlers.list_schemas, "v1Schemas",
       "The /v1 schemas of the types served here, as the caller may use them",
       {200: S + "collection"}),
    _v("get", "/v1/schemas/{id}", handlers.get_schema, "getSchemaV1", "One /v1 schema",
       {200: S + "schema"}, errors=(404,)),
    _v("get", "/v1/{type}", handlers.list_resources, "listV1",
       f"List a type (settings: the public subset without login). {TYPE_TEXT}",
       {200: S + "collection"}, query=LIST_QUERY, errors=(404, 405)),
    _v("post", "/v1/{type}", handlers.create_resource, "createV1",
       "Create: an ext token (ext.cattle.io.tokens), or ask who you are "
       "(ext.cattle.io.selfusers → status.userID)",
       {201: S + "resource"}, body=["kube/token", "steve/selfuser"], errors=(403, 404, 405)),
    _v("get", "/v1/{type}/{id}", handlers.get_resource, "getV1", "Read one object",
       {200: S + "resource"}, errors=(404, 405)),
    _v("put", "/v1/{type}/{id}", handlers.update_resource, "updateV1",
       "Write a setting (admins; the same rules as every face) or your userpreferences",
       {200: S + "resource"}, body=["steve/setting", "steve/userpreference"],
       errors=(403, 404, 405, 412)),
    _v("delete", "/v1/{type}/{id}", handlers.delete_resource, "deleteV1",
       "Delete an ext token", {200: S + "resource"}, errors=(403, 404, 405)),
)
