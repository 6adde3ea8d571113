"""/v3/features: token-hashing, locked once on."""

from __future__ import annotations

from aiohttp import web

from shim.audit import audited
from shim.core.features import DESCRIPTIONS
from shim.errors import not_found
from shim.faces import http
from shim.faces.v3 import render


def feature_json(request: web.Request, name: str) -> dict:
    features = http.core(request).features
    return {
        "id": name,
        "name": name,
        "type": "feature",
        "baseType": "feature",
        "value": features.value(name),
        "status": {
            "default": features.defaults[name],
            "dynamic": True,
            "lockedValue": True if features.locked(name) else None,
            "description": DESCRIPTIONS[name],
        },
        "links": render.links(request, "feature", name),
    }


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    if name not in http.core(request).features.defaults:
        raise not_found(f"{name} not found")
    return name


async def list_features(request: web.Request) -> web.Response:
    names = http.core(request).features.names()
    return http.respond(render.collection(request, "feature", [feature_json(request, n) for n in names]))


async def get_feature(request: web.Request) -> web.Response:
    return http.respond(feature_json(request, _name(request)))


@audited("feature.update", "value")
async def update_feature(request: web.Request) -> web.Response:
    name = _name(request)
    http.require_admin(request, "change features")
    body = await http.read_json(request, "v3/feature-update")
    await http.core(request).features.set(name, body["value"])
    return http.respond(feature_json(request, name))
