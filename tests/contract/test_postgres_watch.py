"""PostgreSQL-only: `watch` hears committed writes of cached data and survives a lost connection."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import pytest

from shim.store.factory import open_store
from shim.store import postgres
from shim.store.postgres import LISTENER_NAME
from tests.contract.test_store_contract import add_users, make_token


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


# token rows: cached only while the listener is up, emptied by every replica's writes


@pytest.fixture(autouse=True)
def rows_never_age(monkeypatch):
    """Only a NOTIFY may empty the cache here, not its age limit."""
    monkeypatch.setattr(postgres, "ROWS_MAX_AGE", 3600.0)


async def cached_token(writer, watched):
    await add_users(writer, "u-1")
    await writer.insert_token(make_token("t-1"))
    await watched.get_token_and_user("t-1")
    assert "t-1" in cached_ids(watched), "a read while listening fills the cache"


def cached_ids(store) -> set[str]:
    return set(store._rows._rows)


async def test_token_change_on_another_replica_empties_the_cache(pair):
    writer, heard, watched = pair
    await cached_token(writer, watched)
    await writer.change_token("t-1", lambda t: replace(t, enabled=False))
    for _ in range(100):
        token, _ = await watched.get_token_and_user("t-1")
        if token.enabled is False:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("a token disabled by another replica still reads enabled after 2 s")
    assert heard.empty(), "row changes stay in the store: settings and features are not re-read"


async def test_user_disabled_on_another_replica_shows_in_token_reads(pair):
    writer, _, watched = pair
    await cached_token(writer, watched)
    user = await writer.get_user("u-1")
    await writer.update_user(replace(user, enabled=False))
    for _ in range(100):
        if (await watched.get_token_and_user("t-1"))[1].enabled is False:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("a user disabled by another replica still reads enabled after 2 s")


async def test_own_write_empties_the_cache_at_once(pair):
    writer, _, watched = pair
    await cached_token(writer, watched)
    assert await watched.delete_token("t-1") is True
    assert await watched.get_token_and_user("t-1") is None


async def test_a_lost_listener_empties_the_cache(pair):
    writer, heard, watched = pair
    await cached_token(writer, watched)
    await writer.pool.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = $1", LISTENER_NAME)
    assert await next_heard(heard) == "*"  # reconnected: whatever happened meanwhile is gone
    assert not cached_ids(watched)


async def test_a_store_that_does_not_listen_caches_no_rows(pg_server):
    store = open_store(pg_server.create_database())
    await store.open()
    try:
        await add_users(store, "u-1")
        await store.insert_token(make_token("t-1"))
        await store.get_token_and_user("t-1")
        assert not cached_ids(store)
    finally:
        await store.close()
