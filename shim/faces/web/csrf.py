"""Rancher's CSRF rule: a browser's state-changing request echoes the `CSRF` cookie in
`X-API-CSRF`. Requests carrying Authorization (Bearer/Basic API clients) are not checked.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from shim import origin
from shim.errors import ApiError
from shim.faces.web.negotiate import is_browser

COOKIE = "CSRF"
HEADER = "X-API-CSRF"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_CHECKED = frozenset({"/dashboard/login"})  # these check a form field instead (no JS)
TOKEN = web.RequestKey("csrf_token", str)


def refusal(request: web.Request) -> ApiError | None:
    """403 for a browser's (or cookie session's) write without the cookie echoed."""
    if request.method in SAFE or "Authorization" in request.headers:
        return None
    if "R_SESS" not in request.cookies and not is_browser(request.headers):
        return None
    if request.path in FORM_CHECKED:
        return None
    if same(request.cookies.get(COOKIE), request.headers.get(HEADER)):
        return None
    return invalid()


def invalid() -> ApiError:
    return ApiError(403, "InvalidCSRFToken", "Invalid CSRF token", reason="csrf")


def same(cookie: str | None, given: str | None) -> bool:
    return bool(cookie) and bool(given) and hmac.compare_digest(cookie, given)


def token(request: web.Request) -> str:
    """The CSRF value of this request: its cookie, or a new one set on the response."""
    if TOKEN not in request:
        request[TOKEN] = request.cookies.get(COOKIE) or secrets.token_hex(16)
    return request[TOKEN]


def set_cookie(request: web.Request, response: web.StreamResponse) -> None:
    """Give a browser without the cookie one (readable by the page's script, not HttpOnly)."""
    if not is_browser(request.headers) and TOKEN not in request:
        return  # first: an API client's request parses no cookie here
    if request.cookies.get(COOKIE) or response.prepared:
        return
    response.set_cookie(COOKIE, token(request), path="/", secure=origin.secure(request),
                        samesite="Strict")
