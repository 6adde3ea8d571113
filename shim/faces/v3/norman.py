"""Norman's self-description, generated: a JSON Schema property becomes a resourceField,
and a type's operations in the table become its methods and actions.

Pure: no request, no store. `Catalog` indexes the operation table once.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from shim.operations import Action, Operation

ENVELOPE = frozenset({"id", "type", "baseType", "links", "actions"})
VERSION = {"group": "management.cattle.io", "path": "/v3", "version": "v3"}
_SCALARS = {"string": "string", "integer": "int", "number": "float", "boolean": "boolean"}
_LIMITS = (("minLength", "minLength"), ("maxLength", "maxLength"), ("minimum", "min"),
           ("maximum", "max"))


def norman_type(prop: Mapping[str, Any]) -> str:
    """The Norman type string of a JSON Schema property (`x-norman-type` wins)."""
    if "x-norman-type" in prop:
        return prop["x-norman-type"]
    if "enum" in prop:
        return "enum"
    if "const" in prop:
        return _SCALARS.get(_json_type(prop) or "string", "string")
    kind = _json_type(prop)
    if kind == "array":
        items = prop.get("items")
        return f"array[{norman_type(items)}]" if items else "array[json]"
    if kind == "object":
        values = prop.get("additionalProperties")
        return f"map[{norman_type(values)}]" if isinstance(values, dict) else "json"
    return _SCALARS.get(kind or "", "json")


def _json_type(prop: Mapping[str, Any]) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        return rest[0] if len(rest) == 1 else None
    if kind is None and "const" in prop:
        return {str: "string", bool: "boolean", int: "integer"}.get(type(prop["const"]))
    return kind


def nullable(prop: Mapping[str, Any]) -> bool:
    kind = prop.get("type")
    return (isinstance(kind, list) and "null" in kind) or None in prop.get("enum", ())


def resource_field(name: str, shown: Mapping[str, Any], create: Mapping[str, Any] | None,
                   update: Mapping[str, Any] | None) -> dict[str, Any]:
    """One resourceField: its type from the resource's schema, create/update/required/limits
    from the create and update bodies' schemas."""
    created = (create or {}).get("properties", {}).get(name)
    updated = (update or {}).get("properties", {}).get(name)
    found: dict[str, Any] = {"type": norman_type(shown), "create": created is not None,
                             "update": updated is not None}
    if nullable(shown):
        found["nullable"] = True
    if create and name in create.get("required", ()):
        found["required"] = True
    writable = created or updated or {}
    if "default" in writable:
        found["default"] = writable["default"]
    for key, norman in _LIMITS:
        if key in writable:
            found[norman] = writable[key]
    if "enum" in shown:
        found["options"] = [v for v in shown["enum"] if v is not None]
    if shown.get("description"):
        found["description"] = shown["description"]
    return found


def resource_fields(shown: Mapping[str, Any], create: Mapping[str, Any] | None = None,
                    update: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    props = shown.get("properties", {})
    return {name: resource_field(name, prop, create, update)
            for name, prop in props.items() if name not in ENVELOPE}


class Catalog:
    """The operation table indexed by Norman type: methods, actions, fields, rights."""

    def __init__(self, operations: Iterable[Operation], types: Mapping[str, str],
                 documents: Mapping[str, Mapping[str, Any]]) -> None:
        self.operations = tuple(operations)
        self.documents = documents
        self._by_type: dict[str, list[Operation]] = {}
        for op in self.operations:
            if op.type and op.path.startswith("/v3/"):
                self._by_type.setdefault(op.type, []).append(op)
        self.types = dict(types)  # embedded types (action inputs and outputs) -> schema name
        for name, ops in self._by_type.items():
            shown = self._find(name, "get", collection=False)
            self.types.setdefault(name, shown.ok[200] if shown else "")

    def resource_types(self) -> list[str]:
        return list(self._by_type)

    def plural(self, type_name: str) -> str:
        op = self._by_type[type_name][0]
        return op.path.removeprefix("/v3/").split("/")[0]

    def _find(self, type_name: str, method: str, *, collection: bool) -> Operation | None:
        for op in self._by_type.get(type_name, ()):
            if op.method == method and op.is_collection == collection:
                return op
        return None

    def may(self, type_name: str, method: str, admin: bool, *, collection: bool = False) -> bool:
        """Whether a caller (admin or not) may use `method` on the type's resource/collection."""
        op = self._find(type_name, method, collection=collection)
        if op is None or not op.allows(admin):
            return False
        return not (method == "post" and not op.creates)

    def resource_methods(self, type_name: str, admin: bool) -> list[str]:
        return [m.upper() for m in ("put", "delete", "get") if self.may(type_name, m, admin)]

    def collection_methods(self, type_name: str, admin: bool) -> list[str]:
        return [m.upper() for m in ("post", "get")
                if self.may(type_name, m, admin, collection=True)]

    def actions(self, type_name: str, admin: bool, *, collection: bool) -> list[Action]:
        op = self._find(type_name, "post", collection=collection)
        return [a for a in (op.actions if op else ()) if admin or not a.admin]

    def filters(self, type_name: str) -> tuple[str, ...]:
        op = self._find(type_name, "get", collection=True)
        return op.filters if op else ()

    def bodies(self, type_name: str) -> tuple[Mapping | None, Mapping | None]:
        create = self._find(type_name, "post", collection=True)
        update = self._find(type_name, "put", collection=False)
        return (self.documents[create.body] if create and create.body and create.creates else None,
                self.documents[update.body] if update and update.body else None)

    def schema(self, type_name: str, base: str, admin: bool) -> dict[str, Any]:
        """The Norman schema object of a type, for a caller."""
        found: dict[str, Any] = {
            "id": type_name, "type": "schema", "baseType": "schema",
            "links": {"self": f"{base}/v3/schemas/{type_name}"}, "version": VERSION,
        }
        shown = self.documents[self.types[type_name]]
        if type_name not in self._by_type:  # an embedded type: fields only
            found["pluralName"] = type_name + "s"
            found["resourceFields"] = resource_fields(shown, shown, shown)
            return found
        plural = self.plural(type_name)
        found["pluralName"] = plural
        resource, collection = (self.resource_methods(type_name, admin),
                                self.collection_methods(type_name, admin))
        if "GET" in collection:
            found["links"]["collection"] = f"{base}/v3/{plural}"
        if resource:
            found["resourceMethods"] = resource
        if collection:
            found["collectionMethods"] = collection
        for key, is_collection in (("resourceActions", False), ("collectionActions", True)):
            actions = self.actions(type_name, admin, collection=is_collection)
            if actions:
                found[key] = {a.name: _io(a) for a in actions}
        found["resourceFields"] = resource_fields(shown, *self.bodies(type_name))
        filters = self.filters(type_name)
        if filters:
            found["collectionFilters"] = {f: {"modifiers": ["eq"]} for f in filters}
        return found

    def all_types(self) -> list[str]:
        return sorted(self.types, key=str.lower)


def _io(action: Action) -> dict[str, str]:
    found = {}
    if action.input:
        found["input"] = action.input
    if action.output:
        found["output"] = action.output
    return found
