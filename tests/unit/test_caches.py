"""keep_fresh: refresh on signals, and in any case within the interval."""

from __future__ import annotations

import asyncio
import contextlib

from shim.caches import keep_fresh


class FakeStore:
    def __init__(self) -> None:
        self.on_change = None

    async def watch(self, on_change, heartbeat: float = 5.0) -> None:
        self.on_change = on_change
        await asyncio.Event().wait()


class Counting:
    def __init__(self, fail: int = 0) -> None:
        self.count = 0
        self.fail = fail

    async def refresh(self) -> None:
        if self.fail:
            self.fail -= 1
            raise OSError("database away")
        self.count += 1


@contextlib.asynccontextmanager
async def running(store, caches, interval):
    task = asyncio.create_task(keep_fresh(store, caches, interval))
    await asyncio.sleep(0.01)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_signal_refreshes_only_the_named_cache_and_an_unknown_one_all():
    store, settings, features = FakeStore(), Counting(), Counting()
    async with running(store, {"settings": settings, "features": features}, interval=60):
        store.on_change("settings")
        await asyncio.sleep(0.01)
        assert (settings.count, features.count) == (1, 0)
        store.on_change("*")
        await asyncio.sleep(0.01)
        assert (settings.count, features.count) == (2, 1)
        store.on_change("something-new")
        await asyncio.sleep(0.01)
        assert (settings.count, features.count) == (3, 2)


async def test_every_cache_is_reread_within_the_interval_without_any_signal():
    store, settings = FakeStore(), Counting()
    async with running(store, {"settings": settings}, interval=0.05):
        await asyncio.sleep(0.23)
    assert 3 <= settings.count <= 5


async def test_a_failed_reread_is_retried(monkeypatch):
    monkeypatch.setattr("shim.caches.RETRY", 0.01)
    store, settings = FakeStore(), Counting(fail=2)
    async with running(store, {"settings": settings}, interval=60):
        store.on_change("settings")
        await asyncio.sleep(0.1)
    assert settings.count == 1


async def test_a_change_signalled_as_it_is_cancelled_does_not_keep_it_running():
    """SQLite workers signal every 5 ms: a signal and the stop often meet in one loop pass."""
    store, settings = FakeStore(), Counting()
    task = asyncio.create_task(keep_fresh(store, {"settings": settings}, interval=60))
    await asyncio.sleep(0.01)
    store.on_change("settings")  # wakes the waiter, and in the same pass:
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1)
    assert task in done and task.cancelled()
