"""JSON Schemas from `schemas/` (installed as `shim._schemas`), loaded once; validation with
field-level details."""

from __future__ import annotations

import json
from importlib.resources.abc import Traversable
from typing import Any, Callable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from shim import resources
from shim.errors import ApiError, brief
from shim.schema_gate import compile_gate


class Schemas:
    """Every schema under a folder, keyed by its path without `.json` (`settings/x`)."""

    def __init__(self, root: Traversable | None = None) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        self._gates: dict[str, Callable[[Any], bool] | None] = {}
        for name, file in resources.schema_files(root or resources.schema_root()):
            document = json.loads(file.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(document)
            self.documents[name] = document
            self._validators[name] = Draft202012Validator(document)
            self._gates[name] = compile_gate(document)

    def validate(self, name: str, instance: Any, *, prefix: str = "") -> None:
        """Raise a 422 naming every offending field, its value and the rule."""
        gate = self._gates[name]
        if gate is not None and gate(instance):  # valid: jsonschema only explains failures
            return
        errors = sorted(self._validators[name].iter_errors(instance), key=_error_order)
        if not errors:
            return
        details = [_detail(e, prefix) for e in errors]
        first = details[0]
        message = f"{first['field']}: {_show(first['value'])} {first['rule']}"
        if len(details) > 1:
            message += f" (and {len(details) - 1} more)"
        raise ApiError(422, "InvalidBodyContent", message, details)


def _error_order(error: ValidationError) -> tuple:
    return (list(map(str, error.absolute_path)), error.validator)


def _detail(error: ValidationError, prefix: str) -> dict[str, Any]:
    path = [str(p) for p in error.absolute_path]
    value = error.instance
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path.append(extra[0] if extra else "?")
        value = error.instance.get(path[-1]) if isinstance(error.instance, dict) else None
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        path.append(missing[0] if missing else "?")
        value = None
    field = ".".join(([prefix] if prefix else []) + path) or "(body)"
    return {"field": field, "value": value, "rule": _rule(error)}


def _rule(error: ValidationError) -> str:
    hint = error.schema.get("x-rule") if isinstance(error.schema, dict) else None
    if hint:
        return hint
    v = error.validator_value
    rules = {
        "type": lambda: f"must be of type {v}",
        "minimum": lambda: f"must be >= {v}",
        "maximum": lambda: f"must be <= {v}",
        "minLength": lambda: f"must be at least {v} characters long",
        "maxLength": lambda: f"must be at most {v} characters long",
        "pattern": lambda: f"must match the pattern {v}",
        "enum": lambda: f"must be one of {', '.join(map(json.dumps, v))}",
        "const": lambda: f"must be {json.dumps(v)}",
        "required": lambda: "is required",
        "additionalProperties": lambda: "is not a known field",
        "minProperties": lambda: f"must have at least {v} field(s)",
        "maxProperties": lambda: f"must have at most {v} field(s)",
    }
    # jsonschema's own message quotes the instance: cut it
    return rules.get(error.validator, lambda: brief(error.message)[1:-1])()


def _show(value: Any) -> str:
    return "(missing)" if value is None else brief(value)
