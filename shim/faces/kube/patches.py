"""The PATCH bodies kubectl sends: JSON merge patch, JSON patch, strategic merge patch
(as a merge patch without its `$` directives: no served type has keyed lists) and
server-side apply (the applied fields merged; no field ownership is tracked)."""

from __future__ import annotations

import copy
from typing import Any

from shim.errors import ApiError

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
TYPES = (JSON_PATCH, MERGE, STRATEGIC, APPLY)


def apply(content_type: str, target: dict[str, Any], patch: Any) -> dict[str, Any]:
    """`target` with `patch` applied; `target` itself is left alone."""
    if content_type == JSON_PATCH:
        return json_patch(target, patch)
    if not isinstance(patch, dict):
        raise bad_patch("the patch must be a JSON object")
    if content_type == STRATEGIC:
        patch = _without_directives(patch)
    return merge_patch(target, patch)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _without_directives(patch: Any) -> Any:
    if isinstance(patch, dict):
        if patch.get("$patch") == "delete":
            return None
        return {k: _without_directives(v) for k, v in patch.items() if not k.startswith("$")}
    return patch


def json_patch(target: dict[str, Any], operations: Any) -> dict[str, Any]:
    """RFC 6902: add, remove, replace, move, copy, test."""
    if not isinstance(operations, list):
        raise bad_patch("a JSON patch must be a list of operations")
    doc: Any = copy.deepcopy(target)
    for operation in operations:
        if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
            raise bad_patch(f"invalid operation {operation!r}")
        doc = _operate(doc, operation)
    if not isinstance(doc, dict):
        raise bad_patch("the patched document is not an object")
    return doc


def _operate(doc: Any, op: dict[str, Any]) -> Any:
    kind, path = op.get("op"), op["path"]
    if kind == "test":
        if _get(doc, path) != op.get("value"):
            raise bad_patch(f"test failed at {path}")
        return doc
    if kind == "remove":
        return _remove(doc, path)
    if kind in ("add", "replace"):
        if "value" not in op:
            raise bad_patch(f"{kind} at {path} needs a value")
        if kind == "replace":
            _get(doc, path)
        return _add(doc, path, copy.deepcopy(op["value"]), replace=kind == "replace")
    if kind in ("move", "copy"):
        source = op.get("from")
        if not isinstance(source, str):
            raise bad_patch(f"{kind} needs from")
        value = copy.deepcopy(_get(doc, source))
        if kind == "move":
            doc = _remove(doc, source)
        return _add(doc, path, value)
    raise bad_patch(f"unknown operation {kind!r}")


def _tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_patch(f"invalid JSON pointer {path!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _get(doc: Any, path: str) -> Any:
    for token in _tokens(path):
        doc = _child(doc, token, path)
    return doc


def _child(doc: Any, token: str, path: str) -> Any:
    if isinstance(doc, dict) and token in doc:
        return doc[token]
    if isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
        return doc[int(token)]
    raise bad_patch(f"path {path} does not exist")


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    tokens = _tokens(path)
    if not tokens:
        return value
    parent = _get(doc, "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1]))
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise bad_patch(f"path {path} does not exist")
    else:
        raise bad_patch(f"path {path} does not exist")
    return doc


def _remove(doc: Any, path: str) -> Any:
    tokens = _tokens(path)
    if not tokens:
        raise bad_patch("cannot remove the whole document")
    parent = _get(doc, "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1]))
    _child(parent, tokens[-1], path)
    if isinstance(parent, dict):
        del parent[tokens[-1]]
    else:
        del parent[int(tokens[-1])]
    return doc


def bad_patch(message: str) -> ApiError:
    return ApiError(400, "BadRequest", f"the patch could not be applied: {message}")
