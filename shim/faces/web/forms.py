"""Forms generated from a type's Norman schema (itself generated from schemas/), so the
browser cannot drift from validation.

Pure: a schema's resourceFields (and an object's current values) in, field specs out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

_INPUTS = {"int": "number", "float": "number", "boolean": "checkbox", "password": "password"}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # how the page's script reads it: string, int, float, boolean, json, enum
    input: str  # the HTML input type, or "textarea" / "select"
    required: bool = False
    value: str = ""
    options: tuple[str, ...] = ()
    description: str = ""
    label: str = ""  # shown instead of the name when set
    limits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Form:
    id: str
    title: str
    method: str
    url: str
    fields: tuple[Field, ...]
    after: str = ""  # where the page goes on success ("" = show the answer)
    submit: str = ""  # the send button's label ("" = the title)
    confirm: str = ""  # asked before sending ("" = no question)
    omit_empty: bool = True  # blank fields are not sent (an Edit sends "" to clear a string)


def fields_for(resource_fields: Mapping[str, Mapping[str, Any]], use: str,
               current: Mapping[str, Any] | None = None) -> tuple[Field, ...]:
    """The fields writable on `use` ("create" or "update"), filled from `current`."""
    return tuple(_field(name, spec, (current or {}).get(name))
                 for name, spec in resource_fields.items() if spec.get(use))


def _field(name: str, spec: Mapping[str, Any], current: Any) -> Field:
    norman = spec.get("type", "string")
    kind = _kind(name, norman)
    shown = current if current is not None else spec.get("default")
    limits = {k: spec[k] for k in ("min", "max", "minLength", "maxLength") if k in spec}
    return Field(
        name=name, kind=kind, input=_input(kind), required=bool(spec.get("required")),
        value=_text(kind, shown), options=_options(kind, spec),
        description=spec.get("description", ""), limits=limits,
    )


def _kind(name: str, norman: str) -> str:
    if norman in ("int", "float", "boolean", "enum", "password"):
        return norman
    if norman == "string" or norman.startswith("reference["):
        return "password" if "password" in name.lower() else "string"
    return "json"


def _input(kind: str) -> str:
    if kind == "json":
        return "textarea"
    if kind in ("enum", "boolean"):
        return "select"  # a boolean left blank is not sent: the server's default applies
    return _INPUTS.get(kind, "text")


def _options(kind: str, spec: Mapping[str, Any]) -> tuple[str, ...]:
    if kind == "boolean":
        return ("true", "false")
    return tuple(str(o) for o in spec.get("options", ()))


def _text(kind: str, value: Any) -> str:
    if value is None or kind == "password":
        return ""
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "json":
        return json.dumps(value, indent=2)
    return str(value)
