"""Token reads by id come from an in-process cache; every change must show in the next read."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from shim.store.factory import open_store
from tests.contract.test_store_contract import NOW, add_users, make_token


async def cached(store, token_id: str = "t-1"):
    """Insert u-1's token and read it twice, so the second read may come from a cache."""
    await add_users(store, "u-1")
    await store.insert_token(make_token(token_id))
    await store.get_token_and_user(token_id)
    return await store.get_token_and_user(token_id)


async def test_token_change_shows_in_the_next_read(store):
    await cached(store)
    await store.change_token("t-1", lambda t: replace(t, enabled=False))
    token, _ = await store.get_token_and_user("t-1")
    assert token.enabled is False
    assert (await store.get_token("t-1")).enabled is False


async def test_disabled_user_shows_in_the_next_token_read(store):
    _, user = await cached(store)
    await store.update_user(replace(user, enabled=False))
    _, read = await store.get_token_and_user("t-1")
    assert read.enabled is False


async def test_deleted_token_reads_as_none_at_once(store):
    await cached(store)
    assert await store.delete_token("t-1") is True
    assert await store.get_token_and_user("t-1") is None
    assert await store.get_token("t-1") is None


async def test_deleted_user_takes_its_cached_tokens_along(store):
    await cached(store)
    await store.delete_user("u-1")
    assert await store.get_token_and_user("t-1") is None


async def test_purged_token_reads_as_none(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1", ttl=1000))
    await store.get_token_and_user("t-1")
    assert await store.purge_expired(NOW + 1000, 10) == 1
    assert await store.get_token_and_user("t-1") is None


async def test_touch_shows_in_the_next_read(store):
    await cached(store)
    await store.touch_token("t-1", NOW + 5, activity=False)
    assert (await store.get_token("t-1")).last_used == NOW + 5
    await store.touch_token("t-1", NOW + 9, activity=True)
    token = await store.get_token("t-1")
    assert (token.last_used, token.last_activity) == (NOW + 9, NOW + 9)


async def test_hashing_on_shows_hashed_secret_in_the_next_read(store):
    await cached(store)
    await store.enable_token_hashing(lambda secret: "$2:hashed")
    assert (await store.get_token("t-1")).secret == "$2:hashed"


async def test_write_through_another_connection_shows_in_the_next_read(store, store_url):
    """Another process on the same SQLite file, or another replica on PostgreSQL."""
    await cached(store)
    other = open_store(store_url)
    await other.open()
    try:
        await other.delete_token("t-1")
    finally:
        await other.close()
    for _ in range(100):  # SQLite looks every 5 ms; PostgreSQL's NOTIFY takes milliseconds
        if await store.get_token_and_user("t-1") is None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("a token deleted by another connection still reads back after 2 s")
