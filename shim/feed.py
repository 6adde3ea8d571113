"""The change feed of this process: a counter bumped whenever stored data may have changed,
that websocket subscribers (/v1/subscribe, /v3/subscribe) wait on before they re-read
what they watch and send the differences.

It is bumped by this process's own writes (every successful non-GET answer), by token
and user writes on other replicas (PostgreSQL NOTIFY, see Store.add_row_listener), and
as a cache of `keep_fresh` on every full re-read (another SQLite process's commit, a
reconnect, and at least every `cache_refresh_interval` seconds).
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


class ChangeFeed:
    def __init__(self) -> None:
        self.generation = 0
        self.closed = False  # the server is stopping: long-lived answers end
        self._bumped = asyncio.Event()

    def close(self) -> None:
        self.closed = True
        self.bump()

    def bump(self) -> None:
        self.generation += 1
        self._bumped.set()
        self._bumped = asyncio.Event()

    async def refresh(self) -> None:
        """As a cache of `keep_fresh`: a full re-read elsewhere means anything may differ."""
        self.bump()

    async def wait(self, seen: int, timeout: float) -> int:
        """The generation once it differs from `seen`, or after `timeout` seconds."""
        if self.generation == seen:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._bumped.wait()
        return self.generation


def close_on_shutdown(feed: ChangeFeed):
    """An `on_shutdown` hook: watches and subscribers end instead of holding the stop up."""

    async def hook(app: web.Application) -> None:
        feed.close()

    return hook


def bump_on_write(feed: ChangeFeed):
    """An `on_response_prepare` hook: a successful write may have changed what is watched."""

    async def hook(request: web.Request, response: web.StreamResponse) -> None:
        if request.method not in SAFE and response.status < 400:
            feed.bump()

    return hook
