"""GET /openapi.json and GET /docs: Swagger UI from the swagger-ui-py package (no CDN)."""

from __future__ import annotations

import mimetypes

from aiohttp import web

from shim import openapi, resources
from shim.errors import not_found
from shim.faces import http
from shim.keys import CONFIG, SCHEMAS

# The Swagger UI files served from the swagger-ui-py package (checked at start-up).
ASSETS = ("swagger-ui.css", "index.css", "swagger-ui-bundle.js",
          "swagger-ui-standalone-preset.js", "favicon-32x32.png", "favicon-16x16.png")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>token-shim API</title>
  <link rel="stylesheet" href="docs/static/swagger-ui.css">
  <link rel="stylesheet" href="docs/static/index.css">
  <link rel="icon" type="image/png" href="docs/static/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/static/swagger-ui-bundle.js"></script>
  <script src="docs/static/swagger-ui-standalone-preset.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
"""
INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""


async def openapi_json(request: web.Request) -> web.Response:
    """Assembled per request: a few milliseconds, and nothing to keep in sync."""
    return http.respond(openapi.document(request.app[SCHEMAS], request.app[CONFIG].metrics))


async def page(request: web.Request) -> web.Response:
    headers = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY"}
    return web.Response(text=PAGE, content_type="text/html", headers=headers)


async def to_page(request: web.Request) -> web.Response:
    """/docs/ -> /docs: the page's links are relative to /docs (a relative Location keeps
    any path prefix of a proxy in front)."""
    raise web.HTTPMovedPermanently("../docs")


async def init_script(request: web.Request) -> web.Response:
    return web.Response(text=INIT, content_type="application/javascript")


async def asset(request: web.Request) -> web.Response:
    """Read through importlib.resources, wherever swagger-ui-py is installed (checked at start)."""
    name = request.match_info["name"]
    if name not in ASSETS:
        raise not_found(f"{request.path} not found")
    return web.Response(body=resources.swagger_asset(name).read_bytes(),
                        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                        headers={"Cache-Control": "public, max-age=86400"})
