"""`management.cattle.io.settings` on /v1: the token settings, the read-only ones the v3
face serves, and the public `ui-*`/`first-login` settings the dashboard reads before login."""

from __future__ import annotations

from aiohttp import web

from shim.core.settings import V3_SETTING_WRITE
from shim.errors import ApiError, not_found
from shim.faces import http
from shim.faces.v3.settings import READ_ONLY
from shim.faces.v3.render import base_url
from shim.keys import CONFIG, PRINCIPAL
from shim.settings_catalog import SETTINGS

# Read by the dashboard before anyone logs in (Rancher serves them to anonymous callers).
# `ui-banners` must parse as JSON; empty branding values mean Rancher's own.
PUBLIC = {
    "first-login": "false", "ui-pl": "rancher", "ui-banners": "{}", "ui-brand": "",
    "ui-favicon": "", "ui-login-background-light": "", "ui-login-background-dark": "",
    "ui-primary-color": "", "ui-link-color": "", "ui-banner-header": "",
    "ui-banner-footer": "", "ui-banner-login-consent": "", "ui-custom-links": "{}",
    "ui-issues": "", "ui-community-links": "true",
}


async def _first_login(request: web.Request) -> str:
    """"true" until a user exists (the setup page); the admin is created at start-up."""
    return "false" if await http.core(request).store.count_users() else "true"


async def values(request: web.Request) -> dict[str, tuple[str, str, str]]:
    """name -> (value, default, source) of every setting the caller may read."""
    shown = {n: (v, v, "default") for n, v in PUBLIC.items()}
    shown["first-login"] = (await _first_login(request), "true", "default")
    if PRINCIPAL not in request:
        return shown
    settings, config = http.core(request).settings, request.app[CONFIG]
    for name, default in SETTINGS.items():
        shown[name] = (settings.value(name), default, settings.source(name))
    for name, (value, default) in READ_ONLY.items():
        shown[name] = (value(config), default, "env")
    shown["server-url"] = (base_url(request), "", "env")
    return shown


def writable(name: str) -> bool:
    return name in SETTINGS


async def update(request: web.Request, name: str, body: dict) -> None:
    """The same write as PUT /v3/settings/<name> (validation, pins, cross rules)."""
    if name not in await values(request):
        raise not_found(f"setting {name} not found")
    http.require_admin(request, "change settings")
    if not writable(name):
        raise ApiError(405, "MethodNotAllow", f"{name} is readOnly")
    value = body.get("value")
    await http.core(request).settings.apply({name: value or None}, how=V3_SETTING_WRITE)
