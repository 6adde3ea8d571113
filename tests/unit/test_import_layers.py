"""The house's arrows run one way (issue 25, STYLE.md "Arrows run one way"): every import
inside shim/, lazy ones included, points to a module of the same layer or a lower one, and
no import circle exists anywhere. The layers, top to bottom:

  commands  what a person runs: __main__, cli, workers (serve --workers), reset_password,
            exec_plugin (the kubectl credential plugin)
  serving   what cli and workers share: the banner, listen errors, the event loop, the run
  app       the app factory and what it wires: app, routes, middlewares, packaged (the
            start-up check of the package's data, which asks every face for its files),
            unparsed (the answer to a request aiohttp cannot parse), replay (a repeated
            token read answered before the Application)
  faces     the HTTP faces, and what is assembled from all of them: faces/*, openapi,
            openapi_paths, metrics (its scrape handler)
  plumbing  what hangs off the app: keys (the AppKeys, faces registered into them), logs,
            audit, throttle, caches, purge, tls, kubeconfig, origin (the names served),
            client_certs, apiservice (the APIService manifests), feed (the change feed)
  core      the domain, no HTTP: core/*, schemas
  store     store/*
  base      pure pieces every layer uses: config, options, settings_catalog, errors,
            policy, crypto, resources, schema_gate, operations, face_paths, headers

`from pkg import sub` counts as importing pkg too (its __init__ runs first): a package's
__init__ that imports its own modules would make a circle with every module that imports a
sibling that way, so such packages keep their wiring in a module of its own (face.py,
factory.py). A new module must be placed in LAYERS (the package name `shim` covers only its
__init__); within a layer any import is fine as long as it makes no circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

SHIM = Path(__file__).resolve().parents[2] / "shim"

LAYERS = {
    "commands": ["shim.__main__", "shim.cli", "shim.workers", "shim.reset_password",
                 "shim.exec_plugin"],
    "serving": ["shim.serving"],
    "app": ["shim.app", "shim.routes", "shim.middlewares", "shim.packaged", "shim.unparsed",
            "shim.replay"],
    "faces": ["shim.faces", "shim.openapi", "shim.openapi_paths", "shim.metrics"],
    "plumbing": ["shim.keys", "shim.logs", "shim.audit", "shim.throttle", "shim.caches",
                 "shim.purge", "shim.tls", "shim.kubeconfig", "shim.origin",
                 "shim.client_certs", "shim.apiservice", "shim.feed"],
    "core": ["shim.core", "shim.schemas"],
    "store": ["shim.store"],
    "base": ["shim", "shim.config", "shim.options", "shim.settings_catalog", "shim.errors",
             "shim.policy", "shim.crypto", "shim.resources", "shim.schema_gate",
             "shim.operations", "shim.face_paths", "shim._schemas", "shim.headers"],
}
ORDER = list(LAYERS)  # top first


def modules() -> dict[str, Path]:
    found = {}
    for path in SHIM.rglob("*.py"):
        parts = path.relative_to(SHIM.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def layer_of(module: str) -> str:
    """The layer of the longest prefix listed (shim.faces.v3.table: faces)."""
    best = max((prefix for names in LAYERS.values() for prefix in names
                if module == prefix or (prefix != "shim" and module.startswith(prefix + "."))),
               key=len, default=None)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return next(layer for layer, names in LAYERS.items() if best in names)


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The shim modules `module` imports anywhere in its file (lazy imports too)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {_known(alias.name, known) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(_known(base, known))  # `from pkg import sub` runs pkg/__init__ first
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(_known(full if full in known else base, known))
    return found - {None, module}


def _known(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, set[str]]:
    known = modules()
    return {module: imports(module, path, known) for module, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import circles (strongly connected parts of more than one module, or a self loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                part.append(top)
                if top == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_shim_has_no_import_circle():
    assert circles(graph()) == []


def test_every_import_points_to_the_same_layer_or_a_lower_one():
    upward = [f"{source} ({layer_of(source)}) imports {target} ({layer_of(target)})"
              for source, targets in sorted(graph().items()) for target in sorted(targets)
              if ORDER.index(layer_of(target)) < ORDER.index(layer_of(source))]
    assert upward == [], "\n".join(upward)


def test_the_check_sees_a_circle_and_an_upward_arrow():
    """The rule can fail: a made-up graph with both faults is caught."""
    assert circles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert ORDER.index(layer_of("shim.faces.v3.norman")) < ORDER.index(layer_of("shim.keys"))
    assert layer_of("shim.faces.v3.norman") == "faces" and layer_of("shim.store.sql") == "store"
