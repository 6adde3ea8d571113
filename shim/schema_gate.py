"""A fast yes/no check of a JSON Schema, compiled to closures, for the bodies that pass.

jsonschema spends ~60 µs on a small valid body; most bodies are valid, and
only invalid ones need its field-level errors. `compile_gate` turns a schema
that uses only the keywords below into a predicate that agrees with
Draft 2020-12 (tests/unit/test_schema_gate.py checks it against jsonschema);
a schema with any other keyword gets no gate, and jsonschema does all the work.
"""

from __future__ import annotations

import re
from typing import Any, Callable

Check = Callable[[Any], bool]

ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "examples", "default",
               "x-rule", "deprecated", "readOnly", "writeOnly"}
_TYPES: dict[str, Check] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}


class Unsupported(Exception):
    """The schema uses a keyword the gate does not know: leave it all to jsonschema."""


def compile_gate(schema: Any) -> Check | None:
    try:
        return _compile(schema)
    except Unsupported:
        return None


def _compile(schema: Any) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, dict):
        raise Unsupported(repr(schema))
    checks = [_keyword(name, value) for name, value in schema.items()
              if name not in ANNOTATIONS and name != "additionalProperties"]
    if "additionalProperties" in schema:
        checks.append(_additional(schema))
    return _every(checks)


def _every(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def every(v: Any) -> bool:  # a loop, not all(<generator>): this runs per request
        for check in checks:
            if not check(v):
                return False
        return True

    return every


def _keyword(name: str, value: Any) -> Check:
    builder = _BUILDERS.get(name)
    if builder is None:
        raise Unsupported(name)
    return builder(value)


def _type(value: Any) -> Check:
    names = value if isinstance(value, list) else [value]
    if not all(n in _TYPES for n in names):
        raise Unsupported(f"type {value!r}")
    tests = [_TYPES[n] for n in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(t(v) for t in tests)


def _properties(value: dict) -> Check:
    subs = [(name, _compile(sub)) for name, sub in value.items()]

    def properties(v: Any) -> bool:
        if isinstance(v, dict):
            for name, check in subs:
                if name in v and not check(v[name]):
                    return False
        return True

    return properties


def _additional(schema: dict) -> Check:
    if "patternProperties" in schema:
        raise Unsupported("patternProperties")
    known = set(schema.get("properties", {}))
    extra = _compile(schema["additionalProperties"])
    return lambda v: not isinstance(v, dict) or all(
        extra(item) for key, item in v.items() if key not in known)


def _required(value: list) -> Check:
    return lambda v: not isinstance(v, dict) or all(name in v for name in value)


def _const(value: Any) -> Check:
    return lambda v: equal(v, value)


def _enum(value: list) -> Check:
    return lambda v: any(equal(v, option) for option in value)


def _bound(test: Callable[[Any, Any], bool], of: Check) -> Callable[[Any], Check]:
    return lambda limit: lambda v: not of(v) or test(v, limit)


def _pattern(value: str) -> Check:
    regex = re.compile(value)
    return lambda v: not isinstance(v, str) or regex.search(v) is not None


def _items(value: Any) -> Check:
    check = _compile(value)
    return lambda v: not isinstance(v, list) or all(check(item) for item in v)


def _all_of(value: list) -> Check:
    return _every([_compile(sub) for sub in value])


def _any_of(value: list) -> Check:
    checks = [_compile(sub) for sub in value]
    return lambda v: any(check(v) for check in checks)


def _not(value: Any) -> Check:
    check = _compile(value)
    return lambda v: not check(v)


_is_str, _is_dict, _is_number = _TYPES["string"], _TYPES["object"], _TYPES["number"]
_BUILDERS: dict[str, Callable[[Any], Check]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "const": _const,
    "enum": _enum,
    "minLength": _bound(lambda v, n: len(v) >= n, _is_str),
    "maxLength": _bound(lambda v, n: len(v) <= n, _is_str),
    "minimum": _bound(lambda v, n: v >= n, _is_number),
    "maximum": _bound(lambda v, n: v <= n, _is_number),
    "minProperties": _bound(lambda v, n: len(v) >= n, _is_dict),
    "maxProperties": _bound(lambda v, n: len(v) <= n, _is_dict),
    "pattern": _pattern,
    "items": _items,
    "allOf": _all_of,
    "anyOf": _any_of,
    "not": _not,
}


def equal(a: Any, b: Any) -> bool:
    """JSON equality: true and 1 differ, 1 and 1.0 do not (as jsonschema's `const`)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b
