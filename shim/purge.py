"""The background purge of expired tokens: batches, never blocking requests."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Callable

from shim.core.tokens import TokenService

log = logging.getLogger("shim.purge")


async def purge_once(tokens: TokenService, now: int, batch: int) -> int:
    """Delete every token expired at `now`, one short transaction per batch."""
    total = 0
    while True:
        deleted = await tokens.purge(now, batch)
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(0)  # let requests run between batches


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
