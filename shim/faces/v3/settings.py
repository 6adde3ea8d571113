"""/v3/settings: the five token settings in Rancher's shape, and the read-only settings
Rancher's clients read (server-version, k8s-version, cacerts)."""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from shim import tls
from shim.audit import audited
from shim.config import Config
from shim.core.settings import V3_SETTING_WRITE
from shim.errors import ApiError, conflict
from shim.faces import http
from shim.faces.kube.discovery import KUBE_VERSION
from shim.faces.v3 import render
from shim.keys import CONFIG
from shim.settings_catalog import SETTINGS


def _cacerts(config: Config) -> str:
    pem = tls.ca_pem(config)
    return pem.decode() if pem else ""


# name -> (its value from the configuration, its default)
READ_ONLY: dict[str, tuple[Callable[[Config], str], str]] = {
    "server-version": (lambda c: c.server_version, "v2.13.0"),
    "k8s-version": (lambda c: KUBE_VERSION, ""),
    "cacerts": (_cacerts, ""),
}


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    return name if name in READ_ONLY else http.setting_name(request)


def setting_json(request: web.Request, name: str) -> dict:
    if name in READ_ONLY:
        value, default = READ_ONLY[name]
        return _shape(request, name, value(request.app[CONFIG]), default, "env")
    settings = http.core(request).settings
    return _shape(request, name, settings.value(name), SETTINGS[name], settings.source(name))


def _shape(request: web.Request, name: str, value: str, default: str, source: str) -> dict:
    return {
        "id": name,
        "name": name,
        "type": "setting",
        "baseType": "setting",
        "value": value,
        "default": default,
        "customized": source == "db",
        "source": source,
        "links": render.links(request, "setting", name, update=source != "env"),
    }


def _read_only(name: str) -> ApiError:
    return ApiError(405, "MethodNotAllow", f"{name} is readOnly")


async def list_settings(request: web.Request) -> web.Response:
    data = [setting_json(request, name) for name in (*SETTINGS, *READ_ONLY)]
    return http.respond(render.collection(request, "setting", data))


async def get_setting(request: web.Request) -> web.Response:
    name = _name(request)
    if name in READ_ONLY:
        return http.respond(setting_json(request, name))
    settings = http.core(request).settings
    await settings.refresh()  # value and ETag from one fresh read, on any replica
    return http.respond(setting_json(request, name), headers=http.etag(settings.version(name)))


@audited("setting.create", "name")
async def create_setting(request: web.Request) -> web.Response:
    """Settings exist already or not at all: Rancher's rancher2_setting POSTs after a 404."""
    http.require_admin(request, "change settings")
    body = await http.read_json(request, "v3/setting-create")
    name = body["name"]
    if name in SETTINGS or name in READ_ONLY:
        raise conflict(f"setting {name} already exists: change it with PUT")
    managed = ", ".join((*SETTINGS, *READ_ONLY))
    rule = f"is not a setting this server manages ({managed})"
    raise ApiError(422, "InvalidBodyContent", f"name: {name!r} {rule}",
                   [{"field": "name", "value": name, "rule": rule}])


@audited("setting.update", "value")
async def update_setting(request: web.Request) -> web.Response:
    name = _name(request)
    http.require_admin(request, "change settings")
    if name in READ_ONLY:
        raise _read_only(name)
    body = await http.read_json(request, "v3/setting-update")
    settings = http.core(request).settings
    await settings.apply({name: body["value"] or None}, expected=http.expected(request, name),
                         how=V3_SETTING_WRITE)
    return http.respond(setting_json(request, name), headers=http.etag(settings.version(name)))


@audited("setting.reset")
async def delete_setting(request: web.Request) -> web.Response:
    name = _name(request)
    http.require_admin(request, "change settings")
    if name in READ_ONLY:
        raise ApiError(405, "MethodNotAllow", f"Cannot delete readOnly setting {name}.")
    await http.core(request).settings.apply({name: None}, expected=http.expected(request, name),
                                            how=V3_SETTING_WRITE)
    return http.no_content()
