"""PostgreSQL-only: NOTIFY from one store reaches LISTEN callbacks of every store."""

from __future__ import annotations

import asyncio

from shim.store.factory import open_store


async def test_notify_reaches_listeners_of_other_stores_and_the_sender(pg_server):
    url = pg_server.create_database()
    sender, replica = open_store(url), open_store(url)
    await asyncio.gather(sender.open(), replica.open())
    heard = {"sender": asyncio.Queue(), "replica": asyncio.Queue()}
    try:
        await sender.listen("settings", heard["sender"].put_nowait)
        await replica.listen("settings", heard["replica"].put_nowait)
        await replica.listen("other", heard["replica"].put_nowait)
        await sender.notify("settings", "max-ttl")
        for queue in heard.values():
            assert await asyncio.wait_for(queue.get(), 5) == "max-ttl"
        assert heard["replica"].empty()
    finally:
        await asyncio.gather(sender.close(), replica.close())


async def test_close_stops_listening(pg_server):
    url = pg_server.create_database()
    store, other = open_store(url), open_store(url)
    await asyncio.gather(store.open(), other.open())
    heard = []
    try:
        await store.listen("settings", heard.append)
        await store.close()
        await other.notify("settings", "x")
        await asyncio.sleep(0.2)
        assert heard == []
    finally:
        await asyncio.gather(store.close(), other.close())
