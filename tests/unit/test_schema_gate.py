"""The fast gate must agree with jsonschema (Draft 2020-12) on every schema it compiles."""

from __future__ import annotations

import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from shim.schema_gate import compile_gate, equal
from shim.schemas import Schemas

SCHEMAS = Schemas()
TYPE_CHECKER = Draft202012Validator.TYPE_CHECKER
GATED = sorted(name for name, gate in SCHEMAS._gates.items() if gate is not None)
BASE_POOL = [None, True, False, 0, 1, -1, 1.0, 1.5, -0.5, 2**63, -(2**63) - 1, 1e300, "", "a",
             "é", "a\n", "admin\n", "x" * 253, "x" * 254, "x" * 1025, [], [1], ["a"], [None], {}, {"a": 1}]


def harvest(schema: Any, pool: list) -> None:
    """Values at the edges of what `schema` allows: consts, enums, bounds and lengths +/- 1."""
    if isinstance(schema, list):
        for sub in schema:
            harvest(sub, pool)
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key == "const":
            pool.append(value)
        elif key == "enum":
            pool.extend(value)
        elif key in ("minimum", "maximum"):
            pool.extend([value - 1, value, value + 1, float(value)])
        elif key in ("minLength", "maxLength"):
            pool.extend(["x" * n for n in (max(value - 1, 0), value, value + 1)])
        elif key in ("properties", "$defs"):
            for sub in value.values():
                harvest(sub, pool)
        elif isinstance(value, (dict, list)):
            harvest(value, pool)


def instance(schema: Any, pool: list, rng: random.Random, depth: int = 0) -> Any:
    """A value shaped like `schema` most of the time, with random values and keys mixed in."""
    if not isinstance(schema, dict) or depth > 4 or rng.random() < 0.02:
        return rng.choice(pool)
    props = schema.get("properties")
    if props:
        out, required = {}, set(schema.get("required", ()))
        for name, sub in props.items():
            if rng.random() < (0.995 if name in required else 0.6):
                out[name] = instance(sub, pool, rng, depth + 1)
        if rng.random() < 0.2:
            out[rng.choice(["extra", "Id", "ttl2"])] = rng.choice(pool)
        return out
    if "items" in schema:
        return [instance(schema["items"], pool, rng, depth + 1) for _ in range(rng.randint(0, 3))]
    for combinator in ("allOf", "anyOf"):
        if combinator in schema:
            return instance(rng.choice(schema[combinator]), pool, rng, depth + 1)
    return rng.choice(typed(schema, pool) if rng.random() < 0.9 else pool)


def typed(schema: dict, pool: list) -> list:
    """The values of `pool` that match the schema's const, enum or type, if any do."""
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema:
        return list(schema["enum"])
    names = schema.get("type")
    if names is None:
        return pool
    names = names if isinstance(names, list) else [names]
    found = [v for v in pool if any(TYPE_CHECKER.is_type(v, n) for n in names)]
    return found or pool


@pytest.mark.parametrize("name", GATED)
def test_gate_agrees_with_jsonschema(name):
    document = SCHEMAS.documents[name]
    gate, full = compile_gate(document), Draft202012Validator(document)
    pool = list(BASE_POOL)
    harvest(document, pool)
    rng = random.Random(name)
    verdicts = {True: 0, False: 0}
    for _ in range(500 if name.startswith("responses/") else 3000):
        value = instance(document, pool, rng)
        expected = full.is_valid(value)
        assert gate(value) is expected, f"{name}: gate says {not expected} for {value!r}"
        verdicts[expected] += 1
    if not name.startswith("responses/"):  # request bodies: both verdicts must be exercised
        assert verdicts[True] and verdicts[False], f"{name}: the fuzz hit one side {verdicts}"


def test_schema_with_an_unknown_keyword_gets_no_gate():
    assert compile_gate({"type": "object", "patternProperties": {"^a": {}}}) is None
    assert compile_gate({"$ref": "other.json"}) is None


def test_json_equality_tells_booleans_from_numbers():
    assert equal(1, 1.0) and equal({"a": [1]}, {"a": [1.0]})
    assert not equal(True, 1) and not equal(0, False) and not equal([True], [1])


def test_valid_body_skips_jsonschema_and_invalid_one_still_gets_field_errors():
    SCHEMAS.validate("v3/token-create", {"description": "ok", "ttl": 5})
    with pytest.raises(Exception) as raised:
        SCHEMAS.validate("v3/token-create", {"ttl": -1})
    assert raised.value.details[0]["field"] == "ttl"


def patterns(schema: Any, where: str = ""):
    """(where, pattern, examples) of every `pattern` in a schema."""
    if isinstance(schema, list):
        for n, sub in enumerate(schema):
            yield from patterns(sub, f"{where}[{n}]")
    elif isinstance(schema, dict):
        if "pattern" in schema:
            yield where, schema["pattern"], schema.get("examples", [])
        for key, sub in schema.items():
            yield from patterns(sub, f"{where}/{key}")


PATTERNS = [(name, *found) for name, document in sorted(SCHEMAS.documents.items())
            for found in patterns(document)]


def test_the_schemas_have_patterns_to_check():
    assert {"v3/user-create", "terraform/user"} <= {name for name, *_ in PATTERNS}


@pytest.mark.parametrize("name,where,pattern,examples", PATTERNS)
def test_every_pattern_rejects_a_trailing_newline(name, where, pattern, examples):
    """Python's `$` also matches before a final newline: no pattern may rely on it."""
    schema = {"type": "string", "pattern": pattern}
    gate, full = compile_gate(schema), Draft202012Validator(schema)
    assert examples, f"{name}{where}: give the pattern `examples` of valid values"
    for good in examples:
        assert gate(good) and full.is_valid(good), (name, good)
        for bad in (good + "\n", "\n" + good, good + "\r\n", good + "\n\n"):
            assert not gate(bad) and not full.is_valid(bad), (name, bad)
