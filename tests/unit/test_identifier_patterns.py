"""Every regex in shim/ matches whole values (issue 22, finding 7).

Python's `$` also matches before a final newline, and `re.match`/`re.search` accept a
value whose head alone matches: `"alice-ci\\n"` passed `^...$` with `match`. So no regex
in shim/ may use `$`, a compiled regex is used with `fullmatch` (or is listed below as a
search, with why), and each identifier regex refuses its example with a newline added.
The patterns of schemas/ are checked in test_schema_gate.py.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

SHIM = Path(__file__).resolve().parents[2] / "shim"
RE_CALLS = {"compile", "match", "search", "fullmatch", "sub", "split", "findall", "finditer"}

# Regexes that find something inside a longer text: not checks of a whole value.
SEARCHES = {
    "shim.faces.kube.rest._TABLE": "finds as=Table among the media types of an Accept header",
    "shim.headers._UNSAFE": "finds any one character a header may not carry",
    "shim.faces.dashboard._HASHED": "finds webpack's content hash inside a file name",
    "shim.faces.dashboard._INLINE_SCRIPT": "finds the inline scripts of the dashboard's page",
}
# Whole-value checks where whitespace (a newline too) around the value is allowed, as
# Kubernetes' selector lexer allows it; the parts they capture cannot hold a newline.
# (The selectors are read by a tokenizer now, shim/faces/kube/selectors.py.) aiohttp's
# description of a parse error is matched stripped: it is shown, never used as a name.
SPACED = {"shim.unparsed._DESCRIPTION"}
# One valid value of every other regex; it must stop matching with a newline added.
EXAMPLES = {
    "shim.core.ext_tokens._NAME": "alice-ci",
    "shim.middlewares._REQUEST_ID": "req-42",
    "shim.core.settings._INTEGER": "-60",
    "shim.faces.kube.selectors._NAME": "app.kubernetes_io-name",
    "shim.faces.kube.selectors._PREFIX": "example.com",
    "shim.origin._HOST": "localhost:8080",
}


def modules() -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(SHIM.rglob("*.py")):
        dotted = ".".join(path.relative_to(SHIM.parent).with_suffix("").parts)
        found.append((dotted, ast.parse(path.read_text(), str(path))))
    return found


def regex_literals(tree: ast.Module):
    """(line, pattern) of every string literal given to a function of `re`."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                and node.func.attr in RE_CALLS and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.func.attr, node.args[0].value


def ends_with_dollar(pattern: str) -> bool:
    """Does `pattern` use `$` as an anchor (not escaped, not inside [...])?"""
    bare = re.sub(r"\\.", "", pattern)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    return "$" in bare


def compiled(module: str, tree: ast.Module) -> list[str]:
    """Module-level names bound to re.compile(...)."""
    names = []
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "compile"):
            names += [f"{module}.{t.id}" for t in node.targets if isinstance(t, ast.Name)]
    return names


def uses(tree: ast.Module, name: str) -> set[str]:
    """The methods called on the compiled regex `name` in its module."""
    return {node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == name}


MODULES = modules()
COMPILED = [(name, tree) for module, tree in MODULES for name in compiled(module, tree)]


def test_no_regex_in_shim_relies_on_dollar():
    found = [(module, line, pattern) for module, tree in MODULES
             for line, _, pattern in regex_literals(tree) if ends_with_dollar(pattern)]
    assert found == [], "use fullmatch (or \\Z): `$` matches before a final newline"


def test_no_identifier_is_checked_with_re_match_or_search_on_a_literal():
    found = [(module, line, call) for module, tree in MODULES
             for line, call, _ in regex_literals(tree) if call in ("match", "search")]
    assert found == [], "compile the pattern and use fullmatch"


def test_the_walk_finds_the_regexes_it_guards():
    assert set(EXAMPLES) | SPACED | set(SEARCHES) <= {name for name, _ in COMPILED}


@pytest.mark.parametrize("name,tree", COMPILED, ids=[name for name, _ in COMPILED])
def test_every_compiled_regex_is_used_whole(name, tree):
    short = name.rpartition(".")[2]
    partial = uses(tree, short) & {"match", "search", "findall", "finditer"}
    assert not partial or name in SEARCHES, f"{name} is used with {partial}: use fullmatch"
    assert name in SEARCHES or name in SPACED or name in EXAMPLES, (
        f"{name}: add a valid example to EXAMPLES (or list it with why)")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_identifier_regex_refuses_a_trailing_newline(name):
    module, _, attribute = name.rpartition(".")
    pattern = getattr(importlib.import_module(module), attribute)
    good = EXAMPLES[name]
    assert pattern.fullmatch(good), name
    for bad in (good + "\n", "\n" + good, good + "\r\n", good + "\n\n", good + " "):
        assert not pattern.fullmatch(bad), (name, bad)


def test_dollar_detection_sees_anchors_only():
    assert ends_with_dollar("^a$") and ends_with_dollar("(a|b$)")
    assert not ends_with_dollar(r"a\$") and not ends_with_dollar("[$]") and not ends_with_dollar("a")


def test_no_schema_pattern_relies_on_dollar():
    """JSON Schema's `pattern` is a search, and jsonschema (like schema_gate) evaluates it
    with Python's `re`, where `$` also matches before a final newline: the schemas end a
    pattern with `(?![\\s\\S])` (the same in ECMA-262 and Python)."""
    from tests.unit.test_schema_gate import PATTERNS

    assert PATTERNS
    found = [(name, where, pattern) for name, where, pattern, _ in PATTERNS
             if ends_with_dollar(pattern) or not pattern.startswith("^")]
    assert found == []
