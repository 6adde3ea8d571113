"""Rancher's CSRF rule: a browser's state-changing request echoes the `CSRF` cookie in
`X-API-CSRF`; beyond Rancher, no such request (nor the login form) may come from another
site. Requests carrying Authorization (Bearer/Basic API clients) are not checked.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from aiohttp import web

from shim import origin
from shim.errors import ApiError
from shim.faces.web.negotiate import is_browser
from shim.keys import CONFIG

COOKIE = "CSRF"
HEADER = "X-API-CSRF"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE = frozenset({"same-origin", "none"})  # "none": the user's own navigation
FORM_CHECKED = frozenset({"/dashboard/login"})  # these check a form field instead (no JS)
TOKEN = web.RequestKey("csrf_token", str)


def refusal(request: web.Request) -> ApiError | None:
    """403 for a cross-site write, or a browser's (or cookie session's) write without the
    cookie echoed. The login form is checked for the first only (it sends its own field)."""
    if request.method in SAFE or "Authorization" in request.headers:
        return None
    form = request.path in FORM_CHECKED
    if not form and "R_SESS" not in request.cookies and not is_browser(request.headers):
        return None
    if cross_site(request):
        return ApiError(403, "InvalidCSRFToken", "cross-site request refused", reason="csrf")
    if form or same(request.cookies.get(COOKIE), request.headers.get(HEADER)):
        return None
    return invalid()


def cross_site(request: web.Request) -> bool:
    """Whether the browser says another site's page made this request: `Sec-Fetch-Site`
    (sent by every current browser), else `Origin`. A planted CSRF cookie (from a sibling
    subdomain or plain-HTTP traffic) cannot forge either. Without both (an old browser,
    a script) the CSRF value alone decides, as Rancher's rule does."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site.lower() not in SAME_SITE
    given = request.headers.get("Origin")
    return given is not None and given.rstrip("/").lower() not in _own_origins(request)


def _own_origins(request: web.Request) -> set[str]:
    found = {f"{request.scheme}://{request.host}".lower()}
    public = request.app[CONFIG].public_url
    if public:
        parts = urlsplit(public)
        found.add(f"{parts.scheme}://{parts.netloc}".lower())
    return found


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
