"""The websockets /v1/subscribe and /v3/subscribe: `resource.create/change/remove` for
what a client watches, found by re-reading it whenever the change feed moves (shim/feed.py)
and comparing with what the client was last sent; `ping` every 30 s.

A client sends `{resourceType, id?, stop?}`; the server answers `resource.start` (or
`resource.stop`) and from then on the differences. A socket lives as long as the session
that opened it: it is closed once that token is deleted or no longer alive. A browser's
socket must come from this server's own pages (Origin), as the cookie would otherwise let
any site listen in."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Awaitable, Callable
from urllib.parse import urlsplit

import orjson
from aiohttp import WSMsgType, web

from shim.errors import forbidden
from shim.faces import http
from shim.faces.steve import kinds
from shim.faces.v3 import render
from shim.faces.v3.features import feature_json
from shim.faces.v3.settings import READ_ONLY, setting_json
from shim.keys import CONFIG, FEED
from shim.settings_catalog import SETTINGS
from shim.store.base import TokenQuery

PING_SECONDS = 30.0
SOCKETS = web.AppKey("subscribe_sockets", weakref.WeakSet)  # open ones, closed at shutdown
Lister = Callable[[web.Request], Awaitable[list[dict]]]


async def _v3_tokens(request: web.Request) -> list[dict]:
    actor, now = http.principal(request), http.now(request)
    found = await http.core(request).tokens.list(actor, TokenQuery(now=now))
    return [render.token(request, t, now, actor.token.id) for t in found]


async def _v3_settings(request: web.Request) -> list[dict]:
    return [setting_json(request, name) for name in (*SETTINGS, *READ_ONLY)]


async def _v3_features(request: web.Request) -> list[dict]:
    return [feature_json(request, name) for name in http.core(request).features.names()]


V3_TYPES: dict[str, Lister] = {"token": _v3_tokens, "setting": _v3_settings,
                               "feature": _v3_features}


def _listers(api: str) -> dict[str, Lister]:
    if api == "v3":
        return V3_TYPES
    return {k.id: k.list for k in kinds.ALL if k.list is not None and k is not kinds.COUNT}


def setup(app: web.Application) -> None:
    app[SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(_close_all)


async def _close_all(app: web.Application) -> None:
    """A stopping server does not wait for its subscribers: they are told it is going."""
    for socket in list(app[SOCKETS]):
        await socket.close(code=1001, message=b"server shutdown")


async def subscribe(request: web.Request) -> web.StreamResponse:
    actor = http.principal(request)
    _check_origin(request)
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    request.app[SOCKETS].add(socket)
    watcher = Watcher(request, socket, _listers(request.path.split("/")[1]))
    pusher = asyncio.create_task(watcher.push_changes(actor.token.id))
    try:
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await watcher.handle(message.data)
    finally:
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pusher
    return socket


def _check_origin(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is None:
        return  # not a browser (the CLI, a script): it sends its own credential
    allowed = {request.host}
    public = request.app[CONFIG].public_url
    if public:
        allowed.add(urlsplit(public).netloc)
    if urlsplit(origin).netloc not in allowed:
        raise forbidden(f"a websocket from {origin} is not allowed: open it from this server")


class Watcher:
    """What one socket watches: resourceType -> {id: the object last sent}."""

    def __init__(self, request: web.Request, socket: web.WebSocketResponse,
                 listers: dict[str, Lister]) -> None:
        self.request, self.socket, self.listers = request, socket, listers
        self.watched: dict[str, dict[str, bytes]] = {}
        self.only: dict[str, str | None] = {}  # resourceType -> the one id watched, if any

    async def handle(self, raw: str) -> None:
        try:
            asked = orjson.loads(raw)
            kind = asked["resourceType"]
        except (ValueError, KeyError, TypeError):
            return
        if not isinstance(kind, str):
            return
        if asked.get("stop"):
            self.watched.pop(kind, None)
            await self.send({"name": "resource.stop", "resourceType": kind})
            return
        if kind not in self.listers:
            await self.send({"name": "resource.error", "resourceType": kind,
                             "data": {"error": f"{kind} cannot be watched here"}})
            return
        self.only[kind] = asked.get("id") if isinstance(asked.get("id"), str) else None
        self.watched[kind] = await self.snapshot(kind)
        await self.send({"name": "resource.start", "resourceType": kind,
                         "id": self.only[kind] or "", "mode": asked.get("mode") or ""})

    async def snapshot(self, kind: str) -> dict[str, bytes]:
        objects = await self.listers[kind](self.request)
        only = self.only.get(kind)
        return {o["id"]: orjson.dumps(o) for o in objects if only is None or o["id"] == only}

    async def push_changes(self, token_id: str) -> None:
        feed, loop = self.request.app[FEED], asyncio.get_running_loop()
        seen, next_ping = feed.generation, loop.time() + PING_SECONDS
        while not self.socket.closed and not feed.closed:
            seen = await feed.wait(seen, max(0.0, next_ping - loop.time()))
            if not await http.session_alive(self.request, token_id):
                await self.socket.close(code=4001, message=b"session ended")
                return
            for kind in list(self.watched):
                await self._send_differences(kind)
            if loop.time() >= next_ping:
                await self.send({"name": "ping", "data": {
                    "version": self.request.app[CONFIG].server_version}})
                next_ping = loop.time() + PING_SECONDS

    async def _send_differences(self, kind: str) -> None:
        before, after = self.watched.get(kind, {}), await self.snapshot(kind)
        if kind not in self.watched:
            return  # stopped meanwhile
        self.watched[kind] = after
        revision = str(http.now(self.request))
        for obj_id, body in after.items():
            if before.get(obj_id) != body:
                name = "resource.change" if obj_id in before else "resource.create"
                await self._send_event(name, kind, body, revision)
        for obj_id in before.keys() - after.keys():
            await self._send_event("resource.remove", kind, before[obj_id], revision)

    async def _send_event(self, name: str, kind: str, body: bytes, revision: str) -> None:
        await self.send({"name": name, "resourceType": kind, "revision": revision,
                         "data": orjson.loads(body)})

    async def send(self, message: dict) -> None:
        if not self.socket.closed:
            await self.socket.send_str(orjson.dumps(message).decode())
