"""Response headers built from input, made safe to send.

aiohttp refuses to send a header holding a control character (a newline: header
injection); it finds out only when the response is being written, after the handler
has committed its write, and the client then gets no response at all (a new token's
secret lost). So text from a request is escaped where a header is built from it
(`text`, `warning`), and `guard`, run on every response just before its headers go
out, escapes whatever still slipped through and bounds every value's length.
"""

from __future__ import annotations

import re

from aiohttp import web

MAX_VALUE = 4096  # characters of one header value; more is cut
_UNSAFE = re.compile(r"[^\t\x20-\x7e]")  # outside visible ASCII, space and tab


def _escape(found: re.Match) -> str:
    char = found.group()
    return repr(char)[1:-1] if char.isascii() else char.encode("unicode_escape").decode()


def text(value: str, limit: int = MAX_VALUE) -> str:
    """`value` as visible ASCII (a newline becomes `\\n`), at most `limit` characters."""
    safe = _UNSAFE.sub(_escape, value)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


def warning(message: str, limit: int = 256) -> str:
    """An RFC 7234 warning (code 299, as Kubernetes sends), the message escaped and cut."""
    quoted = text(message, limit).replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{quoted}"'


async def guard(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: no header can stop a response from being sent."""
    headers = response.headers
    if guarded(headers):
        return
    safe = [(name, text(value)) for name, value in headers.items()]
    headers.clear()
    headers.extend(safe)


def guarded(headers) -> bool:
    """Whether `guard` would leave these headers as they are."""
    values = headers.values()
    return not values or (_UNSAFE.search("".join(values)) is None
                          and max(map(len, values)) <= MAX_VALUE)
