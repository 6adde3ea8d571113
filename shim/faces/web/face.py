"""The browser face: the v3 API view (HTML for /v3 when a browser asks), the login page,
the console under /dashboard/, and the CSRF rule for cookie sessions."""

from __future__ import annotations

from importlib import resources
from urllib.parse import quote

from aiohttp import web

from shim.errors import render as render_error
from shim.faces import dashboard
from shim.faces.web import apiview, console, csrf, negotiate, session
from shim.keys import CONFIG, OPEN_PREFIXES, PRINCIPAL
from shim.logs import log_request

PREFIX = "/dashboard"
PUBLIC = ("/dashboard/login", "/dashboard/static/")  # open without a session
STATIC = ("app.js", "app.css")
_TYPES = {"js": "application/javascript", "css": "text/css"}


def static_dir():
    return resources.files("shim.faces.web") / "static"


TEMPLATES = ("base.html", "_form.html", "api.html", "login.html", "error.html", "keys.html",
             "clusters.html", "settings.html", "hashing.html", "users.html")


def assets() -> list[str]:
    """Every file the pages need (package data), for a start-up check: paths under the
    package folder shim/faces/web/."""
    return [*(f"static/{n}" for n in STATIC), *(f"templates/{n}" for n in TEMPLATES)]


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    text = (static_dir() / name).read_text()
    return web.Response(text=text, content_type=_TYPES[name.rsplit(".", 1)[1]],
                        headers={"Cache-Control": "public, max-age=3600",
                                 "X-Content-Type-Options": "nosniff"})


async def to_console(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{PREFIX}/")


def add_routes(app: web.Application) -> None:
    """The console, unless a built Rancher dashboard takes /dashboard/ (`dashboard_dir`)."""
    if app[CONFIG].dashboard_dir:
        dashboard.add_routes(app)
        app[OPEN_PREFIXES] = dashboard.open_prefixes()
        return
    app.add_routes([
        web.get("/", to_console),
        web.get(f"{PREFIX}/login", session.login_page),
        web.post(f"{PREFIX}/login", session.login_submit),
        web.get(f"{PREFIX}/static/{{name}}", static),
        *console.routes(PREFIX),
    ])


@web.middleware
async def middleware(request: web.Request, handler) -> web.StreamResponse:
    """Outside the front door: CSRF before anything, HTML for a browser after.

    The app runs the same two steps from inside its one middleware (shim.middlewares:
    `screen` before the request id, `finish` after the access line), which spares a
    middleware layer on every request; this form is for an app built without it."""
    refused = screen(request)
    return finish(request, refused if refused is not None else await handler(request))


def screen(request: web.Request) -> web.StreamResponse | None:
    """The CSRF refusal of this request (logged here: it never reaches the front door)."""
    refused = csrf.refusal(request)
    if refused is None:
        return None
    log_request(request, refused.status, 0.0)
    return web.json_response(render_error("v3", refused), status=refused.status)


def finish(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """HTML for a browser, and the CSRF cookie for one that has none."""
    response = _for_browser(request, response)
    csrf.set_cookie(request, response)
    return response


def _for_browser(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    shown = _page(request, response)
    if shown is not response and "X-Request-Id" in response.headers:
        shown.headers["X-Request-Id"] = response.headers["X-Request-Id"]
    return shown


def _page(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    path = request.path
    rancher_dashboard = getattr(request.app.get(CONFIG), "dashboard_dir", None)
    console_path = path == "/" or (path.startswith(PREFIX + "/") and not rancher_dashboard)
    html = (negotiate.may_want_html(request.headers, request.query_string)
            and negotiate.is_api(path) and negotiate.wants_html(request.headers, request.query))
    if not (console_path or html) or not isinstance(response, web.Response):
        return response
    if response.status == 401 and PRINCIPAL not in request and path not in PUBLIC:
        login = (f"{PREFIX}/auth/login" if rancher_dashboard   # the dashboard's own page
                 else f"{PREFIX}/login?next={_quote(request.path_qs)}")
        return web.Response(status=303, headers={"Location": login, "Cache-Control": "no-store"})
    if html and response.content_type == "application/json" and response.body:
        return apiview.page(request, response)
    if console_path and response.content_type == "application/json" and response.status >= 400:
        return console.error_page(request, response)
    return response


def _quote(path_qs: str) -> str:
    return quote(path_qs, safe="/")
