"""A JSON value as readable HTML: indented, escaped, every URL of this server a link.

Pure: a value and the server's base URL in, markup out.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from markupsafe import Markup

INDENT = "  "


def to_html(value: Any, base: str) -> Markup:
    return Markup("".join(_parts(value, base, 0, None)))


def _parts(value: Any, base: str, level: int, self_url: str | None):
    pad = INDENT * (level + 1)
    if isinstance(value, dict):
        if not value:
            yield "{}"
            return
        own = value.get("links", {}).get("self") if isinstance(value.get("links"), dict) else None
        yield "{\n"
        for i, (key, item) in enumerate(value.items()):
            yield f'{pad}<span class="k">{escape(json.dumps(key))}</span>: '
            if key == "id" and isinstance(item, str) and own:
                yield _link(own, json.dumps(item))
            else:
                yield from _parts(item, base, level + 1, own)
            yield ",\n" if i < len(value) - 1 else "\n"
        yield INDENT * level + "}"
    elif isinstance(value, list):
        if not value:
            yield "[]"
            return
        yield "[\n"
        for i, item in enumerate(value):
            yield pad
            yield from _parts(item, base, level + 1, None)
            yield ",\n" if i < len(value) - 1 else "\n"
        yield INDENT * level + "]"
    elif isinstance(value, str) and value.startswith(base + "/"):
        yield _link(value, json.dumps(value))
    else:
        yield f'<span class="v">{escape(json.dumps(value, ensure_ascii=False))}</span>'


def _link(url: str, text: str) -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>'
