"""PostgreSQL-only: `watch` hears committed writes of cached data and survives a lost connection."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from shim.store import open_store
from shim.store.postgres import LISTENER_NAME


@pytest.fixture
async def pair(pg_server):
    """A writer store and a watched store on one database; yields (writer, heard, watched)."""
    url = pg_server.create_database()
    writer, watched = open_store(url), open_store(url)
    await asyncio.gather(writer.open(), watched.open())
    heard: asyncio.Queue[str] = asyncio.Queue()
    task = asyncio.create_task(watched.watch(heard.put_nowait, heartbeat=0.5))
    assert await next_heard(heard) == "*"
    yield writer, heard, watched
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.gather(writer.close(), watched.close())


async def next_heard(heard: asyncio.Queue, timeout: float = 5.0) -> str:
    return await asyncio.wait_for(heard.get(), timeout)


async def test_committed_writes_of_cached_data_are_heard_by_other_stores(pair):
    writer, heard, _ = pair
    await writer.put_settings({"auth-token-max-ttl-minutes": "60"}, {})
    assert await next_heard(heard) == "settings"
    await writer.set_feature("other", False)
    assert await next_heard(heard) == "features"
    await writer.enable_token_hashing(lambda s: "$h:" + s)
    assert await next_heard(heard) == "features"


async def test_a_rolled_back_write_is_not_heard(pair):
    writer, heard, _ = pair

    def refuse(current):
        raise ValueError("no")

    with pytest.raises(ValueError):
        await writer.put_settings({"a": "1"}, {}, check=refuse)
    await writer.set_feature("other", True)  # a marker: notifications arrive in commit order
    assert await next_heard(heard) == "features"


async def test_watch_reconnects_after_its_connection_is_killed_and_reports_everything(pair):
    writer, heard, _ = pair
    killed = await writer.pool.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = $1", LISTENER_NAME,
    )
    assert killed == 1
    assert await next_heard(heard) == "*"
    await writer.put_settings({"a": "1"}, {})
    assert await next_heard(heard) == "settings"
