"""Rendering a template into a page with the headers every page sends."""

from __future__ import annotations

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from shim.faces.v3.render import is_admin
from shim.faces.web import csrf
from shim.keys import PRINCIPAL

ENV = Environment(loader=PackageLoader("shim.faces.web", "templates"),
                  autoescape=select_autoescape(default=True), trim_blocks=True,
                  lstrip_blocks=True)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages may show a secret (a new key) or private data
}


def render(request: web.Request, template: str, status: int = 200, **context) -> web.Response:
    principal = request.get(PRINCIPAL)
    text = ENV.get_template(template).render(
        user=principal.user if principal else None, admin=is_admin(request),
        csrf=csrf.token(request), path=request.path, **context,
    )
    return web.Response(text=text, status=status, content_type="text/html", headers=HEADERS)
