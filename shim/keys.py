"""Typed application keys: everything a handler needs hangs off the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from aiohttp import web

from shim.config import Config
from shim.core.auth import Authenticator
from shim.core.ext_tokens import ExtTokenService
from shim.core.features import FeatureService
from shim.core.principal import Principal
from shim.core.settings import SettingsService
from shim.core.tokens import TokenService
from shim.core.users import UserService
from shim.faces.v3.norman import Catalog
from shim.feed import ChangeFeed
from shim.schemas import Schemas
from shim.store.base import Store


@dataclass(frozen=True)
class Core:
    store: Store
    settings: SettingsService
    features: FeatureService
    users: UserService
    tokens: TokenService
    auth: Authenticator
    ext_tokens: ExtTokenService


CONFIG = web.AppKey("config", Config)
CORE = web.AppKey("core", Core)
SCHEMAS = web.AppKey("schemas", Schemas)
CATALOG = web.AppKey("catalog", Catalog)  # the v3 operation table, indexed
CLOCK = web.AppKey("clock", Callable[[], int])
FEED = web.AppKey("change_feed", ChangeFeed)  # what websocket subscribers wait on
# Path prefixes a face opens to anonymous callers at start-up (the built dashboard's files)
OPEN_PREFIXES = web.AppKey("open_prefixes", tuple)
PRINCIPAL = web.RequestKey("principal", Principal)
REQUEST_ID = web.RequestKey("request_id", str)
JSON_BODY = web.ResponseKey("json_body", object)  # what http.respond serialized, for the audit

__all__ = ["CATALOG", "CONFIG", "CORE", "FEED", "OPEN_PREFIXES", "SCHEMAS", "CLOCK", "PRINCIPAL", "REQUEST_ID", "JSON_BODY",
           "Core", "Principal"]
