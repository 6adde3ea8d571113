"""GET of a token serves JSON kept per row object; it must always equal a fresh render."""

from __future__ import annotations

from dataclasses import replace

import orjson
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from shim.config import Config
from shim.core.auth import Authenticator
from shim.core.settings import SettingsService
from shim.faces.v3 import render, table
from shim.faces.v3.norman import Catalog
from shim.keys import CATALOG, CONFIG, CORE, Core
from shim.origin import ORIGIN, Origin
from shim.schemas import Schemas
from shim.store.base import Token

NOW = 1_800_000_000_000
ROW = Token(id="token-abcde", user_id="u-1", kind="api", secret="$2:x:y", description="d",
            ttl=60_000, ttl_requested=60_000, created=NOW, uuid="uuid-1")


def request(host: str = "a.example") -> web.Request:
    app = web.Application()
    app[CONFIG] = Config()
    app[ORIGIN] = Origin(Config(tls_sans=("a.example", "b.example")))
    settings = SettingsService(None, Schemas(), {})  # the defaults; no store is read
    app[CORE] = Core(None, settings, None, None, None, Authenticator(None, settings), None)
    app[CATALOG] = Catalog(table.OPERATIONS, table.EMBEDDED_TYPES, Schemas().documents)
    return make_mocked_request("GET", f"/v3/tokens/{ROW.id}", headers={"Host": host}, app=app)


def fresh(req, row, now, current_id=""):
    return orjson.loads(orjson.dumps(render.token(req, row, now, current_id)))


def served(req, row, now, current_id=""):
    return orjson.loads(render.token_json(req, row, now, current_id))


def test_kept_json_follows_every_input_it_depends_on():
    req, other_host = request(), request("b.example")
    cases = [
        (req, ROW, NOW, ""),
        (req, ROW, NOW, ""),  # the kept copy
        (req, ROW, NOW + 60_000, ""),  # now expired
        (other_host, ROW, NOW, ""),  # another base URL in the links
        (req, replace(ROW, is_derived=False), NOW, ROW.id),  # current
        (req, replace(ROW, last_used=NOW + 5, version=2), NOW, ""),  # a changed row
        (req, replace(ROW, description="changed"), NOW, ""),
        (req, replace(ROW, kind="session", ttl=0), NOW, ""),
        (req, replace(ROW, kind="session", ttl=0), NOW + 961 * 60_000, ""),  # session setting
        (req, replace(ROW, expired_at=NOW), NOW, ""),  # refused once: dead for good
    ]
    for case in cases:
        assert served(*case) == fresh(*case)


def test_kept_terraform_echo_follows_the_row():
    from shim.faces.terraform.tokens import echo_json, token_echo

    doc = '{"description": "d", "ttl": 60000, "renew": true, "renewBefore": 5000, "x": 1}'
    rows = [ROW, ROW, replace(ROW, tf_doc=doc), replace(ROW, tf_doc=doc),
            replace(ROW, tf_doc=doc, description="changed", version=2),
            replace(ROW, tf_doc='{"enabled": true}', enabled=False)]
    for row in rows:
        body, renew, before = echo_json(row)
        assert orjson.loads(body) == token_echo(row)
        shown = orjson.loads(row.tf_doc) if row.tf_doc else {}
        assert (renew, before) == (shown.get("renew") is True, shown.get("renewBefore", 0))
