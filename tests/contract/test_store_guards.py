"""The store's guards for several replicas, on every backend: versions, checks, hashing."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from shim.store.factory import open_store
from shim.store.base import Conflict, HashingRequired, TokenQuery
from tests.contract.test_store_contract import NOW, add_users, make_token, tagging_hasher


# conditional token deletes


async def test_delete_at_a_stale_version_keeps_the_token(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1"))
    await store.update_token(make_token("t-1", description="changed"))
    assert await store.delete_token("t-1", version=1) is False
    assert await store.get_token("t-1") is not None
    assert await store.delete_token("t-1", version=2) is True
    assert await store.get_token("t-1") is None


# read-modify-write of one token under its row lock


async def test_change_token_writes_the_change_bumped_or_nothing(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1"))
    changed = await store.change_token("t-1", lambda t: replace(t, description="new"))
    assert changed == make_token("t-1", description="new", version=2)
    assert await store.get_token("t-1") == changed
    assert await store.change_token("t-1", lambda t: t) == changed
    assert await store.change_token("t-none", lambda t: replace(t, description="x")) is None


async def test_change_token_that_raises_writes_nothing(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1"))

    def refuse(token):
        raise ValueError("no")

    with pytest.raises(ValueError):
        await store.change_token("t-1", refuse)
    assert (await store.get_token("t-1")).version == 1


async def test_concurrent_changes_from_several_stores_all_apply(store_url):
    stores = [open_store(store_url) for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        await add_users(stores[0], "u-1")
        await stores[0].insert_token(make_token("t-1"))
        await asyncio.gather(*(
            stores[n % 3].change_token("t-1", lambda t: replace(t, description=t.description + "x"))
            for n in range(30)
        ))
        final = await stores[2].get_token("t-1")
        assert (final.description, final.version) == ("x" * 30, 31)
    finally:
        for s in stores:
            await s.close()


# read-modify-write of one user under its row lock


async def test_change_user_writes_the_change_bumped_or_nothing(store):
    await add_users(store, "u-1")
    before = await store.get_user("u-1")
    changed = await store.change_user("u-1", lambda u: replace(u, name="new"))
    assert changed == replace(before, name="new", version=before.version + 1)
    assert await store.get_user("u-1") == changed
    assert await store.change_user("u-1", lambda u: u) == changed
    assert await store.change_user("u-none", lambda u: replace(u, name="x")) is None


async def test_concurrent_user_changes_from_several_stores_all_apply(store_url):
    stores = [open_store(store_url) for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        await add_users(stores[0], "u-1")
        await asyncio.gather(*(
            stores[n % 3].change_user("u-1", lambda u: replace(u, name=u.name + "x"))
            for n in range(30)
        ))
        final = await stores[2].get_user("u-1")
        assert final.name.endswith("x" * 30) and final.version == 31
    finally:
        for s in stores:
            await s.close()


# hashing: no plain secret once the feature is on


async def test_plain_secret_is_refused_once_hashing_is_on(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-before"))
    await store.enable_token_hashing(tagging_hasher)
    with pytest.raises(HashingRequired):
        await store.insert_token(make_token("t-plain"))
    await store.insert_token(make_token("t-hashed", secret="$h:x"))
    assert [t.id for t in await store.list_tokens(TokenQuery(now=NOW))] == ["t-before", "t-hashed"]


async def test_inserts_racing_hashing_leave_no_plain_secret(store_url):
    """Many connections (replicas) insert plain secrets while one enables hashing."""
    stores = [open_store(store_url) for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        await add_users(stores[0], "u-1")
        for n in range(3):  # plain secrets stored before the race: hashing must convert them
            await stores[n].insert_token(make_token(f"s-{n}"))
        inserts = [stores[n % 3].insert_token(make_token(f"t-{n:03}")) for n in range(60)]
        results = await asyncio.gather(
            *inserts[:30], stores[0].enable_token_hashing(tagging_hasher), *inserts[30:],
            return_exceptions=True,
        )
        assert all(r is None or isinstance(r, (int, HashingRequired)) for r in results), results
        secrets = [t.secret for t in await stores[1].list_tokens(TokenQuery(now=NOW))]
        assert secrets and all(s.startswith("$h:") for s in secrets)
    finally:
        for s in stores:
            await s.close()


# settings: versions that keep counting, conditional writes, checks inside the write


async def test_setting_versions_keep_counting_across_resets(store):
    await store.put_settings({"a": "1"}, {})
    await store.put_settings({"a": None}, {})
    await store.put_settings({"a": "1"}, {})
    assert await store.get_setting_rows() == {"a": ("1", 3)}
    await store.put_settings({"a": None}, {})
    assert await store.get_setting_rows() == {"a": (None, 4)}
    assert await store.get_settings() == {}


async def test_settings_write_at_a_stale_version_raises_conflict_and_writes_nothing(store):
    await store.put_settings({"a": "1"}, {})
    await store.put_settings({"a": "2"}, {}, expected={"a": 1})
    with pytest.raises(Conflict):
        await store.put_settings({"a": "3", "b": "3"}, {("setting", "a"): "{}"}, expected={"a": 1})
    with pytest.raises(Conflict):
        await store.put_settings({"b": "3"}, {}, expected={"b": 1})  # never stored: version 0
    assert await store.get_setting_rows() == {"a": ("2", 2)}
    assert await store.get_doc("setting", "a") is None
    await store.put_settings({"b": "4"}, {}, expected={"b": 0})
    assert await store.get_settings() == {"a": "2", "b": "4"}


async def test_settings_check_sees_committed_values_and_can_abort_the_write(store):
    await store.put_settings({"a": "1", "b": "2"}, {})
    await store.put_settings({"a": None}, {})
    seen = []

    def refuse(current: dict[str, str]) -> None:
        seen.append(current)
        raise ValueError("no")

    with pytest.raises(ValueError):
        await store.put_settings({"b": "9"}, {("setting", "b"): "{}"}, check=refuse)
    assert seen == [{"b": "2"}]
    assert await store.get_settings() == {"b": "2"}
    assert await store.get_doc("setting", "b") is None


async def test_concurrent_settings_writers_cannot_break_a_cross_rule_together(store_url):
    """idle <= session: one store lowers session while another raises idle."""
    stores = [open_store(store_url) for _ in range(2)]
    for s in stores:
        await s.open()

    def idle_within_session(values: dict[str, str]):
        def check(current: dict[str, str]) -> None:
            merged = {**current, **values}
            if int(merged["idle"]) > int(merged["session"]):
                raise ValueError("idle > session")
        return check

    async def put(s, values):
        await s.put_settings(values, {}, check=idle_within_session(values))

    try:
        for _ in range(10):
            await stores[0].put_settings({"idle": "50", "session": "960"}, {})
            racing = [put(stores[0], {"idle": "900"}), put(stores[1], {"session": "100"})]
            await asyncio.gather(*racing, return_exceptions=True)
            final = await stores[1].get_settings()
            assert int(final["idle"]) <= int(final["session"]), final
    finally:
        for s in stores:
            await s.close()


async def test_concurrent_inserts_succeed_or_fail_one_by_one(store):
    """Inserts arriving together (committed together on SQLite) fail only on their own."""
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-taken"))
    results = await asyncio.gather(
        store.insert_token(make_token("t-1")),
        store.insert_token(make_token("t-taken")),
        store.insert_token(make_token("t-2", user_id="u-nobody")),
        store.insert_token(make_token("t-3")),
        return_exceptions=True,
    )
    assert results[0] is None and results[3] is None
    assert isinstance(results[1], Conflict) and isinstance(results[2], Conflict)
    listed = [t.id for t in await store.list_tokens(TokenQuery(now=NOW))]
    assert listed == ["t-1", "t-3", "t-taken"]
