"""Who gets HTML: a browser navigation (text/html preferred in Accept) without `_format=json`.

Pure: headers and query in, a decision out.
"""

from __future__ import annotations

from typing import Mapping

API_PREFIXES = ("/v3", "/v3-public")


def _quality(accept: str, media: str) -> float:
    """The q of `media` as listed explicitly in an Accept header (0 when absent)."""
    best = 0.0
    for part in accept.split(","):
        kind, _, params = part.strip().partition(";")
        if kind.strip().lower() != media:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


def wants_html(headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    """HTML when asked for (`_format=html`), or when Accept prefers text/html to JSON."""
    fmt = query.get("_format", "").lower()
    if fmt:
        return fmt == "html"
    accept = headers.get("Accept", "")
    html = _quality(accept, "text/html")
    json = max(_quality(accept, "application/json"), _quality(accept, "*/*") * 0.999)
    return html > 0 and html > json


def may_want_html(headers: Mapping[str, str], query_string: str) -> bool:
    """False when wants_html() is surely false: no `_format` in the query string (nor a
    %-escape that could spell it) and no `html` in Accept: an API client's request, spared
    parsing both."""
    if "_format" in query_string or "%" in query_string:
        return True
    return "html" in headers.get("Accept", "").lower()


def is_api(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


def is_browser(headers: Mapping[str, str]) -> bool:
    """Norman's rule: any User-Agent mentioning Mozilla is a browser."""
    return "mozilla" in headers.get("User-Agent", "").lower()
