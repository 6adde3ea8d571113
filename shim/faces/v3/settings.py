"""/v3/settings: the five token settings in Rancher's shape."""

from __future__ import annotations

from aiohttp import web

from shim.audit import audited
from shim.core.settings import V3_SETTING_WRITE
from shim.faces import http
from shim.faces.v3 import render
from shim.settings_catalog import SETTINGS


def setting_json(request: web.Request, name: str) -> dict:
    settings = http.core(request).settings
    source = settings.source(name)
    return {
        "id": name,
        "name": name,
        "type": "setting",
        "baseType": "setting",
        "value": settings.value(name),
        "default": SETTINGS[name],
        "customized": source == "db",
        "source": source,
        "links": render.links(request, "settings", name, update=source != "env"),
    }


async def list_settings(request: web.Request) -> web.Response:
    data = [setting_json(request, name) for name in SETTINGS]
    return http.respond(render.collection(request, "setting", data))


async def get_setting(request: web.Request) -> web.Response:
    name, settings = http.setting_name(request), http.core(request).settings
    await settings.refresh()  # value and ETag from one fresh read, on any replica
    return http.respond(setting_json(request, name), headers=http.etag(settings.version(name)))


@audited("setting.update", "value")
async def update_setting(request: web.Request) -> web.Response:
    name = http.setting_name(request)
    http.require_admin(request, "change settings")
    body = await http.read_json(request, "v3/setting-update")
    settings = http.core(request).settings
    await settings.apply({name: body["value"] or None}, expected=http.expected(request, name),
                         how=V3_SETTING_WRITE)
    return http.respond(setting_json(request, name), headers=http.etag(settings.version(name)))


@audited("setting.reset")
async def delete_setting(request: web.Request) -> web.Response:
    name = http.setting_name(request)
    http.require_admin(request, "change settings")
    await http.core(request).settings.apply({name: None}, expected=http.expected(request, name),
                                            how=V3_SETTING_WRITE)
    return http.no_content()

