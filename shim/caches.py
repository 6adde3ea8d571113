"""Keeping the in-process caches (settings, features) in step with the store.

While the database answers, a cache is never staler than `interval` seconds:
it is re-read on every change another replica signals (PostgreSQL NOTIFY,
usually within milliseconds; on SQLite another process's commit, seen through
`PRAGMA data_version` within 5 ms), after every (re)connect of the listener,
and in any case `interval` seconds after its last full re-read, which covers a
lost notification or a listener that is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Mapping, Protocol

from shim.store.base import Store

log = logging.getLogger("shim.caches")
RETRY = 1.0  # seconds before a failed re-read is tried again


class Cache(Protocol):
    async def refresh(self) -> None: ...


async def keep_fresh(store: Store, caches: Mapping[str, Cache], interval: float) -> None:
    """Run until cancelled; `caches` are keyed by the names the store signals."""
    changed: set[str] = set()
    wake = asyncio.Event()

    def on_change(what: str) -> None:
        changed.add(what if what in caches else "*")
        wake.set()

    loop = asyncio.get_running_loop()
    watcher = asyncio.create_task(store.watch(on_change, heartbeat=interval))
    due = loop.time() + interval
    try:
        while True:
            # asyncio.timeout, not wait_for: before Python 3.12 wait_for swallows a cancel
            # that meets a signal in one pass of the loop, and the stop then hangs.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, due - loop.time())):
                    await wake.wait()
            wake.clear()
            started = loop.time()
            names = set(caches) if "*" in changed or started >= due else set(changed)
            changed.clear()
            if not await _refresh(caches, names):
                changed.add("*")
                due = started + min(interval, RETRY)
            elif names == set(caches):
                due = started + interval
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _refresh(caches: Mapping[str, Cache], names: set[str]) -> bool:
    try:
        for name in sorted(names):
            await caches[name].refresh()
        return True
    except Exception:  # the database is away: keep serving, retry soon
        log.exception("re-reading cached %s failed", ", ".join(sorted(names)))
        return False
