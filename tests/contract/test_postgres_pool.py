"""PostgreSQL-only: --db-pool-size bounds the connections a process opens for queries."""

from __future__ import annotations

import asyncio

import asyncpg

from shim.store.factory import open_store


async def test_the_pool_never_opens_more_connections_than_its_size(pg_server):
    url = pg_server.create_database()
    store = open_store(url, pool_size=3)
    await store.open()
    try:
        await asyncio.gather(*(store.pool.fetchval("SELECT pg_sleep(0.2)") for _ in range(12)))
        observer = await asyncpg.connect(url)
        try:
            opened = await observer.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'token-shim'")
        finally:
            await observer.close()
        assert opened == 3
    finally:
        await store.close()
