"""Every path the server answers: the v3 and Terraform faces from their operation tables
(shim/faces/v3/table.py, shim/faces/terraform/table.py), the others listed here."""

from __future__ import annotations

from aiohttp import web

from shim import metrics
from shim.faces import docs, ops
from shim.faces.kube import face as kube
from shim.faces.steve import face as steve
from shim.faces.web import face as web_face
from shim.faces.terraform.table import OPERATIONS as TERRAFORM
from shim.faces.v3.table import OPERATIONS as V3
from shim.keys import CONFIG
from shim.operations import add_to_router


def add_routes(app: web.Application) -> None:
    app.add_routes([
        web.get("/healthz", ops.healthz),
        web.get("/readyz", ops.readyz),
        web.get("/openapi.json", docs.openapi_json),
        web.get("/docs", docs.page),
        web.get("/docs/", docs.to_page),
        web.get("/docs/init.js", docs.init_script),
        web.get("/docs/static/{name}", docs.asset),
    ])
    kube.add_routes(app)
    add_to_router(app, V3)
    steve.add_routes(app)
    web_face.add_routes(app)
    add_to_router(app, TERRAFORM)
    if app[CONFIG].metrics != "off":
        app.router.add_get("/metrics", metrics.scrape)
