"""`settings.management.cattle.io` (the token settings) and `features.management.cattle.io`
(token-hashing) as Rancher's Setting and Feature objects.

Writes go through the same core services as the v3 and Terraform faces: the same
validation, cross rules, pins and lock. Labels and annotations (kubectl apply's
last-applied configuration) are kept beside them, so applying a manifest twice
changes nothing the second time.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from shim.core.features import DESCRIPTIONS
from shim.core.limits import check_metadata
from shim.core.scope import require_unscoped
from shim.core.settings import V3_SETTING_WRITE
from shim.errors import ApiError
from shim.faces import http
from shim.faces.kube import errors
from shim.faces.kube.resource import Desire, Object, column
from shim.settings_catalog import SETTINGS

API_VERSION = "management.cattle.io/v3"
_UID_NAMESPACE = uuid.UUID("5c1d8a8e-6a43-4a5e-9d0e-1d2b1f0b7a11")
_FEATURE_REVISIONS = {None: 1, False: 2, True: 3}


def _uid(kind: str, name: str) -> str:
    return str(uuid.uuid5(_UID_NAMESPACE, f"{kind}/{name}"))


def _metadata(kind: str, name: str, version: str, doc: dict) -> Object:
    found: Object = {"name": name, "uid": _uid(kind, name), "resourceVersion": version}
    if doc.get("labels"):
        found["labels"] = doc["labels"]
    if doc.get("annotations"):
        found["annotations"] = doc["annotations"]
    return found


def _doc_of(obj: Object, old: dict) -> tuple[dict, bool]:
    """Labels and annotations of `obj` with a revision that moves when they change; and
    whether they did."""
    metadata = obj.get("metadata") or {}
    doc = {"labels": metadata.get("labels") or {}, "annotations": metadata.get("annotations") or {}}
    same = doc == {"labels": old.get("labels") or {}, "annotations": old.get("annotations") or {}}
    if not same:
        check_metadata(doc["labels"], doc["annotations"])
    return doc | {"rev": old.get("rev", 0) + (0 if same else 1)}, not same


def _check_identity(resource, name: str, current: Object, want: Object) -> None:
    metadata = want.get("metadata") or {}
    if metadata.get("name") not in (None, name):
        raise errors.bad_request(f"the name of the object ({metadata['name']}) does not match "
                                 f"the name on the URL ({name})")
    given = metadata.get("resourceVersion")
    if given is not None and given != current["metadata"]["resourceVersion"]:
        raise errors.conflict(resource, name)


class _Adapter:
    resource: Any = None  # the table's Resource
    doc_kind = ""

    async def _docs(self, request: web.Request) -> dict[str, dict]:
        raw = await http.core(request).store.get_docs(self.doc_kind)
        return {name: json.loads(doc) for name, doc in raw.items()}

    async def _doc(self, request: web.Request, name: str) -> dict:
        raw = await http.core(request).store.get_doc(self.doc_kind, name)
        return json.loads(raw) if raw else {}

    def _writer(self, request: web.Request, name: str, verb: str):
        actor = http.principal(request)
        if not actor.is_admin:
            raise errors.forbidden(self.resource, actor.user.username, verb, name)
        # Settings set every token's lifetime: not a cluster's to change.
        require_unscoped(actor, f"{verb} {self.resource.qualified}")
        return actor

    async def create(self, request: web.Request, obj: Object, dry_run: bool) -> Object:
        name = (obj.get("metadata") or {}).get("name") or ""
        if name in self.names(request):
            raise ApiError(409, "AlreadyExists", f'{self.resource.qualified} "{name}" already '
                           "exists", subject=errors.subject(self.resource, name))
        raise errors.forbidden(self.resource, "", "create", name or None,
                               why="token-shim serves only the token settings and features")

    async def delete(self, request: web.Request, name: str, dry_run: bool) -> Object:
        raise errors.forbidden(self.resource, "", "delete", name, why="it cannot be deleted")

    async def delete_collection(self, request, objs, dry_run):
        raise errors.forbidden(self.resource, "", "deletecollection")

    def names(self, request: web.Request) -> list[str]:
        raise NotImplementedError

    async def list(self, request: web.Request) -> list[Object]:
        docs = await self._docs(request)
        return [self.render(request, n, docs.get(n, {})) for n in self.names(request)]

    async def get(self, request: web.Request, name: str) -> Object:
        if name not in self.names(request):
            raise errors.not_found(self.resource, name)
        return self.render(request, name, await self._doc(request, name))

    def render(self, request: web.Request, name: str, doc: dict) -> Object:
        raise NotImplementedError


class Settings(_Adapter):
    doc_kind = "kube-setting"
    columns = [
        column("Value", "The value; empty means the default"),
        column("Default", "The default value", priority=1),
        column("Source", "Where the value comes from: default, db or env"),
    ]

    def cells(self, request: web.Request, obj: Object) -> list[Any]:
        return [obj["value"], obj["default"], obj["source"]]

    def names(self, request: web.Request) -> list[str]:
        return list(SETTINGS)

    async def list(self, request: web.Request) -> list[Object]:
        await http.core(request).settings.refresh()
        return await super().list(request)

    async def get(self, request: web.Request, name: str) -> Object:
        await http.core(request).settings.refresh()  # value and version from one fresh read
        return await super().get(request, name)

    def render(self, request: web.Request, name: str, doc: dict) -> Object:
        settings = http.core(request).settings
        source = settings.source(name)
        version = f"{settings.version(name)}.{doc.get('rev', 0)}"
        return {
            "apiVersion": API_VERSION, "kind": "Setting",
            "metadata": _metadata("setting", name, version, doc),
            "value": settings.value(name) if source != "default" else "",
            "default": SETTINGS[name], "customized": source == "db", "source": source,
        }

    async def update(self, request: web.Request, name: str, desire: Desire,
                     dry_run: bool) -> Object:
        """`value: ""` resets to the default, as in Rancher; a value equal to the one
        shown writes nothing, so a re-applied manifest is `unchanged`."""
        current = await self.get(request, name)
        self._writer(request, name, "update")
        want = desire(current)
        _check_identity(self.resource, name, current, want)
        old = await self._doc(request, name)
        doc, relabelled = _doc_of(want, old)
        value = want.get("value") or ""
        changes = {name: value or None} if value != current["value"] else {}
        if not changes and not relabelled:
            return current
        settings = http.core(request).settings
        try:
            if dry_run:
                preview = settings.preview(changes, how=V3_SETTING_WRITE)
                shown = self.render(request, name, doc)
                if changes:
                    stored = preview[name]
                    shown |= {"value": stored or "", "customized": bool(stored),
                              "source": "db" if stored else "default"}
                return shown
            await settings.apply(changes, {(self.doc_kind, name): json.dumps(doc)},
                                 expected={name: settings.version(name)}, how=V3_SETTING_WRITE)
        except ApiError as err:
            raise self._translated(err, name, value) from None
        return self.render(request, name, doc)

    def _translated(self, err: ApiError, name: str, value: str) -> ApiError:
        if err.status == 422 and err.details:
            return errors.invalid(self.resource, name, "value", value, err.details[0]["rule"])
        if err.status == 405:  # pinned by the environment or the config file
            return errors.forbidden(self.resource, "", "update", name, why=err.message)
        if err.status == 412:
            return errors.conflict(self.resource, name)
        return errors.with_subject(err, self.resource, name)


class Features(_Adapter):
    doc_kind = "kube-feature"
    columns = [
        column("Value", "The effective value", type="boolean"),
        column("Default", "The default value", type="boolean", priority=1),
        column("Locked", "The value it is locked at, if any"),
    ]

    def cells(self, request: web.Request, obj: Object) -> list[Any]:
        status = obj["status"]
        locked = status["lockedValue"]
        effective = status["default"] if obj["spec"]["value"] is None else obj["spec"]["value"]
        return [effective, status["default"], "" if locked is None else str(locked).lower()]

    def names(self, request: web.Request) -> list[str]:
        return http.core(request).features.names()

    def render(self, request: web.Request, name: str, doc: dict) -> Object:
        features = http.core(request).features
        stored = features.stored(name)
        version = f"{_FEATURE_REVISIONS[stored]}.{doc.get('rev', 0)}"
        return {
            "apiVersion": API_VERSION, "kind": "Feature",
            "metadata": _metadata("feature", name, version, doc),
            "spec": {"value": stored},
            "status": {"default": features.defaults[name], "dynamic": True,
                       "lockedValue": True if features.locked(name) else None,
                       "description": DESCRIPTIONS[name]},
        }

    async def update(self, request: web.Request, name: str, desire: Desire,
                     dry_run: bool) -> Object:
        core = http.core(request)
        await core.features.refresh()
        current = await self.get(request, name)
        self._writer(request, name, "update")
        want = desire(current)
        _check_identity(self.resource, name, current, want)
        old = await self._doc(request, name)
        doc, relabelled = _doc_of(want, old)
        value = (want.get("spec") or {}).get("value")
        changed = value != current["spec"]["value"]
        if not changed and not relabelled:
            return current
        effective = core.features.defaults[name] if value is None else value
        if changed and core.features.locked(name) and not effective:
            raise errors.invalid(self.resource, name, "spec.value", value,
                                 f"{name} is locked on: once on, it stays on")
        if dry_run:
            return self.render(request, name, doc) | {"spec": {"value": value}}
        if changed:
            await core.features.set(name, value)
        await core.store.put_settings({}, {(self.doc_kind, name): json.dumps(doc)})
        return self.render(request, name, doc)
