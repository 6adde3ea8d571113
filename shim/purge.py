"""The background purge of expired tokens: batches, never blocking requests."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Callable

from shim.core.tokens import TokenService

log = logging.getLogger("shim.purge")


async def purge_once(tokens: TokenService, now: int, batch: int) -> int:
    """Delete every token expired at `now`, one short transaction per batch.

    SQLite runs each batch on the event loop, so after every batch the purge
    pauses as long as the batch took: it never holds more than half the loop.
    """
    loop = asyncio.get_running_loop()
    total = 0
    while True:
        started = loop.time()
        deleted = await tokens.purge(now, batch)
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(max(loop.time() - started, 0.001))


async def purge_forever(
    tokens: TokenService, clock: Callable[[], int], interval: float, batch: int,
    on_purge: Callable[[int], None] = lambda purged: None,
) -> None:
    while True:
        await asyncio.sleep(interval * random.uniform(0.9, 1.1))
        try:
            purged = await purge_once(tokens, clock(), batch)
            if purged:
                log.info("purged %d expired tokens", purged)
            on_purge(purged)
        except Exception:  # keep purging on the next round
            log.exception("purge failed")
