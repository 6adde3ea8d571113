"""PostgreSQL-only: login throttle scores shared by the stores (replicas) of one database."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from shim.store.factory import open_store
from shim.store.base import Attempts


@pytest.fixture
async def two_stores(pg_server):
    url = pg_server.create_database()
    stores = [open_store(url), open_store(url)]
    await asyncio.gather(*(s.open() for s in stores))
    yield stores
    await asyncio.gather(*(s.close() for s in stores))


def add_one(scores: dict[str, Attempts]):
    """A read-modify-write that loses counts unless the rows are locked."""
    new = {}
    for key in ("addr:a", "user:u"):
        old = scores.get(key) or Attempts(0.0, 1)
        new[key] = replace(old, failures=old.failures + 1)
    return new, {key: score.failures for key, score in new.items()}


def look(scores: dict[str, Attempts]):
    return {}, scores


async def test_concurrent_changes_from_two_stores_never_lose_a_count(two_stores):
    results = await asyncio.gather(*(store.change_throttle(["addr:a", "user:u"], add_one)
                                     for store in two_stores * 20))
    assert sorted(r["user:u"] for r in results) == list(range(1, 41))
    assert (await two_stores[0].change_throttle(["user:u"], look))["user:u"].failures == 40


async def test_a_dropped_key_starts_over(two_stores):
    a, b = two_stores
    await a.change_throttle(["user:u"], add_one)
    await b.change_throttle(["user:u"], lambda scores: ({"user:u": None}, None))
    assert await a.change_throttle(["user:u"], look) == {}
