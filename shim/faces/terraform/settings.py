"""/terraform/v1/settings and /terraform/v1/token-policies: upserts that always exist."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shim.audit import audited
from shim.core.settings import POLICY_WRITE, SettingsService
from shim.errors import invalid_field, not_found
from shim.faces import http
from shim.faces.terraform.echo import dumps, echo, loads
from shim.settings_catalog import BOOLEAN_SETTINGS, SETTINGS

SETTING_DOC = "setting"
POLICY_DOC = "token-policy"
POLICY_NAME = "default"


def typed_current(settings: SettingsService, name: str, written: Any) -> Any:
    """The current value in the JSON type the client wrote it in."""
    current = settings.value(name)
    if isinstance(written, bool) or (name in BOOLEAN_SETTINGS and not isinstance(written, str)):
        return current == "true"
    if isinstance(written, (int, float)):
        return int(current)
    return current


def settings_echo(settings: SettingsService, doc: dict[str, Any]) -> dict[str, Any]:
    """Setting keys keep their written form while their canonical value is current."""
    current = {
        key: typed_current(settings, key, written)
        for key, written in doc.items()
        if key in SETTINGS and _canonical_or_none(settings, key, written) != settings.value(key)
    }
    return echo(doc, current)


def setting_echo(settings: SettingsService, name: str, doc: dict[str, Any]) -> dict[str, Any]:
    return doc | {"value": settings_echo(settings, {name: doc["value"]})[name]}


def _canonical_or_none(settings: SettingsService, name: str, value: Any) -> str | None:
    try:
        return settings.canonical(name, value)
    except Exception:  # a stored document is valid; be safe on odd data
        return None


async def get_setting(request: web.Request) -> web.Response:
    name = http.setting_name(request)
    core = http.core(request)
    await core.settings.refresh()  # first: a document newer than the ETag only makes it stale
    doc = loads(await core.store.get_doc(SETTING_DOC, name))
    echoed = setting_echo(core.settings, name, doc or _default_setting(core, name))
    return http.respond_exact(echoed, headers=http.etag(core.settings.version(name)))


def _default_setting(core, name: str) -> dict[str, Any]:
    return {"name": name, "value": core.settings.value(name)}


async def list_settings(request: web.Request) -> web.Response:
    core = http.core(request)
    docs = {k: loads(v) for k, v in (await core.store.get_docs(SETTING_DOC)).items()}
    data = [setting_echo(core.settings, n, docs.get(n) or _default_setting(core, n)) for n in SETTINGS]
    return http.respond_exact({"data": data})


@audited("setting.update", "value")
async def put_setting(request: web.Request) -> web.Response:
    name = http.setting_name(request)
    http.require_admin(request, "change settings")
    doc = await http.read_json(request, "terraform/setting")
    if doc["name"] != name:
        raise invalid_field("name", doc["name"], f"must be {name}, the name in the path")
    core = http.core(request)
    if not await _unchanged(core, SETTING_DOC, name, doc, {name: doc["value"]}):
        await core.settings.apply({name: doc["value"]}, {(SETTING_DOC, name): dumps(doc)},
                                  expected=http.expected(request, name))
    echoed = setting_echo(core.settings, name, doc)
    return http.respond_exact(echoed, headers=http.etag(core.settings.version(name)))


@audited("setting.reset")
async def delete_setting(request: web.Request) -> web.Response:
    name = http.setting_name(request)
    http.require_admin(request, "change settings")
    await http.core(request).settings.apply({name: None}, {(SETTING_DOC, name): None},
                                            expected=http.expected(request, name))
    return http.no_content()


async def get_policy(request: web.Request) -> web.Response:
    _policy_name(request)
    core = http.core(request)
    doc = loads(await core.store.get_doc(POLICY_DOC, POLICY_NAME)) or _default_policy(core.settings)
    return http.respond_exact(settings_echo(core.settings, doc))


async def list_policies(request: web.Request) -> web.Response:
    core = http.core(request)
    doc = loads(await core.store.get_doc(POLICY_DOC, POLICY_NAME)) or _default_policy(core.settings)
    return http.respond_exact({"data": [settings_echo(core.settings, doc)]})


@audited("policy.update", *SETTINGS)
async def put_policy(request: web.Request) -> web.Response:
    _policy_name(request)
    http.require_admin(request, "change the token policy")
    doc = await http.read_json(request, "terraform/token-policy")
    core = http.core(request)
    values = {k: v for k, v in doc.items() if k in SETTINGS}
    if not await _unchanged(core, POLICY_DOC, POLICY_NAME, doc, values):
        await core.settings.apply(values, {(POLICY_DOC, POLICY_NAME): dumps(doc)},
                                  how=POLICY_WRITE)
    return http.respond_exact(settings_echo(core.settings, doc))


@audited("policy.reset")
async def delete_policy(request: web.Request) -> web.Response:
    _policy_name(request)
    http.require_admin(request, "change the token policy")
    reset = {name: None for name in SETTINGS}
    await http.core(request).settings.apply(reset, {(POLICY_DOC, POLICY_NAME): None},
                                            how=POLICY_WRITE)
    return http.no_content()


def _policy_name(request: web.Request) -> None:
    if request.match_info["name"] != POLICY_NAME:
        raise not_found(f"token policy {request.match_info['name']} not found; the one policy is \"{POLICY_NAME}\"")


def _default_policy(settings: SettingsService) -> dict[str, Any]:
    return {"name": POLICY_NAME} | {name: settings.value(name) for name in SETTINGS}


async def _unchanged(core, kind: str, doc_id: str, doc: dict, values: dict[str, Any]) -> bool:
    """True when the document and every value are already stored: then nothing is written."""
    if await core.store.get_doc(kind, doc_id) != dumps(doc):
        return False
    settings = core.settings
    await settings.refresh()  # a replica's lagging cache must not skip a write
    return all(settings.stored(n) and _canonical_or_none(settings, n, v) == settings.value(n)
               for n, v in values.items())
