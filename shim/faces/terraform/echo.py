"""The convergence contract: a GET returns the keys the client wrote, nothing else,
each with its current value — in the written form when the value has not changed."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping


def echo(doc: Mapping[str, Any], current: Mapping[str, Any],
         same: Callable[[Any, Any], bool] | None = None) -> dict[str, Any]:
    """`doc` with every key that has a current value replaced when it differs."""
    same = same or same_json
    out = {}
    for key, written in doc.items():
        if key not in current or same(written, current[key]):
            out[key] = written
        else:
            out[key] = current[key]
    return out


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1 == 1.0, but true is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def dumps(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))


def loads(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)
