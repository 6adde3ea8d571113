"""Typed application keys: everything a handler needs hangs off the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple, Protocol

from aiohttp import web

from shim.config import Config
from shim.core.auth import Authenticator
from shim.core.ext_tokens import ExtTokenService
from shim.core.features import FeatureService
from shim.core.principal import Principal
from shim.core.settings import SettingsService
from shim.core.tokens import TokenService
from shim.core.users import UserService
from shim.feed import ChangeFeed
from shim.operations import Action
from shim.schemas import Schemas
from shim.store.base import Store, Token


@dataclass(frozen=True)
class Core:
    store: Store
    settings: SettingsService
    features: FeatureService
    users: UserService
    tokens: TokenService
    auth: Authenticator
    ext_tokens: ExtTokenService


class Catalog(Protocol):
    """The v3 operation table indexed by Norman type, as its handlers and the browser view
    read it. Defined here, registered by the app factory (shim.faces.v3.norman.Catalog):
    this low module names no face."""

    types: Mapping[str, str]  # every Norman type -> the schema it is shown with

    def resource_types(self) -> list[str]: ...
    def all_types(self) -> list[str]: ...
    def plural(self, type_name: str) -> str: ...
    def may(self, type_name: str, method: str, admin: bool, *,
            collection: bool = False) -> bool: ...
    def actions(self, type_name: str, admin: bool, *, collection: bool) -> list[Action]: ...
    def filters(self, type_name: str) -> tuple[str, ...]: ...
    def bodies(self, type_name: str) -> tuple[Mapping | None, Mapping | None]: ...
    def schema(self, type_name: str, base: str, admin: bool) -> dict[str, Any]: ...


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


class Replayable(NamedTuple):
    """A handler's word that its answer may be repeated to the same request (shim.replay)
    until `until` (ms), while the rows it was built from stay as they are."""

    until: int
    caller: Principal
    shown: Token


REPLAYABLE = web.RequestKey("replayable", Replayable)
JSON_BODY = web.ResponseKey("json_body", object)  # what http.respond serialized, for the audit

__all__ = ["CATALOG", "CONFIG", "CORE", "FEED", "OPEN_PREFIXES", "SCHEMAS", "CLOCK", "PRINCIPAL", "REQUEST_ID", "REPLAYABLE", "Replayable", "JSON_BODY",
           "Core", "Principal"]
