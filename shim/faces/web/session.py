"""The login page: a plain form (no script needed), its own CSRF field, then back to `next`."""

from __future__ import annotations

from aiohttp import web

from shim import origin
from shim.errors import ApiError
from shim.faces.public import password_login
from shim.faces.web import csrf, pages

SESSION_DESCRIPTION = "browser session"


LOGIN = "/dashboard/login"


def safe_next(raw: str | None) -> str:
    """Only a path on this server: no scheme, no //host, no backslash tricks, and never
    the login page itself (after a login, it would ask again)."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/dashboard/"
    if raw.split("?", 1)[0].rstrip("/") == LOGIN:
        return "/dashboard/"
    if not raw.isascii() or not raw.isprintable() or " " in raw:  # no header splitting
        return "/dashboard/"
    return raw


async def login_page(request: web.Request) -> web.Response:
    return pages.render(request, "login.html", title="Log in", message="", username="",
                        next=safe_next(request.query.get("next")))


async def login_submit(request: web.Request) -> web.Response:
    form = await request.post()
    target = safe_next(form.get("next"))
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    if not csrf.same(request.cookies.get(csrf.COOKIE), form.get("csrf")):
        return _again(request, 403, "Your form expired: please log in again.", username, target)
    try:
        new = await password_login(request, username, password, description=SESSION_DESCRIPTION)
    except ApiError as err:
        return _again(request, err.status, _login_message(err), username, target)
    response = web.Response(status=303, headers={"Location": target, "Cache-Control": "no-store"})
    response.set_cookie("R_SESS", new.bearer, path="/", httponly=True, secure=origin.secure(request),
                        samesite="Lax")
    return response


def _login_message(err: ApiError) -> str:
    if err.status == 429:
        return err.message
    return "Incorrect username or password."


def _again(request: web.Request, status: int, message: str, username: str,
           target: str) -> web.Response:
    return pages.render(request, "login.html", status=status, title="Log in", message=message,
                        username=username, next=target)
