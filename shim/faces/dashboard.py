"""Rancher's own dashboard (a build of npm @rancher/shell, `--dashboard-dir`) at /dashboard/.

Files are served as built; a path that names no file and has no extension is a deep link
into the app and gets index.html. Hashed assets are cached for a year, index.html never.
The CSP is the console's, relaxed only where the dashboard needs it: its one inline
<script> in index.html (the theme picker, allowed by its hash, nothing else inline),
inline styles (the build injects its CSS with <style> elements), `blob:`/`data:` images
and fonts, and websockets to this server (/v1/subscribe)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from aiohttp import web

from shim.keys import CONFIG

PREFIX = "/dashboard/"
CSP = ("default-src 'self'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; "
       "worker-src 'self' blob:; form-action 'self'; base-uri 'self'; frame-ancestors 'none'")
_HASHED = re.compile(r"\.[0-9a-f]{8,}\.")  # webpack's content hash in a file name
_INLINE_SCRIPT = re.compile(r"<script>(.+?)</script>", re.S)
ROOT = web.AppKey("dashboard_root", Path)
HEADERS = web.AppKey("dashboard_headers", dict)


def headers(index_html: str) -> dict[str, str]:
    """The headers of every file: the CSP allows index.html's inline scripts by hash."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(index_html))
    return {"Content-Security-Policy": CSP.format(scripts=hashes), "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def add_routes(app: web.Application) -> None:
    app[ROOT] = root = Path(app[CONFIG].dashboard_dir).resolve()
    index = root / "index.html"
    app[HEADERS] = headers(index.read_text() if index.is_file() else "")
    app.add_routes([
        web.get("/", to_dashboard),
        web.get("/dashboard", to_dashboard),
        web.get("/favicon.png", favicon),
        web.get(PREFIX + "{path:.*}", serve),
    ])


def open_prefixes() -> tuple[str, ...]:
    """Paths anyone may fetch: the app's files (the API calls it makes are checked)."""
    return (PREFIX, "/favicon.png")


def check(directory: str) -> str | None:
    """Why `directory` is not a built dashboard, or None."""
    if not (Path(directory) / "index.html").is_file():
        return f"{directory} holds no index.html (build one with scripts/build-dashboard.sh)"
    return None


async def to_dashboard(request: web.Request) -> web.Response:
    raise web.HTTPFound(PREFIX)


async def favicon(request: web.Request) -> web.StreamResponse:
    return _file(request, request.app[ROOT] / "favicon.png", cache="public, max-age=3600")


async def serve(request: web.Request) -> web.StreamResponse:
    root = request.app[ROOT]
    wanted = (root / request.match_info["path"]).resolve()
    if wanted.is_relative_to(root) and wanted.is_file():
        hashed = _HASHED.search(wanted.name) is not None
        return _file(request, wanted, cache="public, max-age=31536000, immutable" if hashed
                     else "no-cache")
    if "." in request.match_info["path"].rsplit("/", 1)[-1]:
        raise web.HTTPNotFound()  # a missing asset, not a page of the app
    return _file(request, root / "index.html", cache="no-cache")


def _file(request: web.Request, path: Path, cache: str) -> web.StreamResponse:
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers=request.app[HEADERS] | {"Cache-Control": cache})
