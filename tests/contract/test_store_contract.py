"""The Store contract, driven directly and run on every backend (see conftest.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from shim.store import sql
from shim.store.factory import open_store
from shim.store.base import Conflict, Token, TokenQuery, User, token_meta
from shim.store.sqlite import SqliteStore

NOW = 1_800_000_000_000


def make_user(user_id: str = "u-1", **fields) -> User:
    defaults = dict(username=f"name-{user_id}", name="", role="user", enabled=True,
                    password_hash="$scrypt$x", created=NOW)
    return User(id=user_id, **{**defaults, **fields})


def make_token(token_id: str, user_id: str = "u-1", *, ttl: int = 0, **fields) -> Token:
    defaults = dict(kind="api", secret=f"plain-{token_id}", description="", ttl=ttl,
                    ttl_requested=ttl, created=NOW, uuid=f"uuid-{token_id}")
    return Token(id=token_id, user_id=user_id, **{**defaults, **fields})


async def add_users(store, *user_ids: str) -> None:
    for user_id in user_ids:
        await store.insert_user(make_user(user_id))


async def ids(store, **filters) -> list[str]:
    return [t.id for t in await store.list_tokens(TokenQuery(now=NOW, **filters))]


async def applied_migrations(store) -> list[int]:
    query = "SELECT version FROM schema_migrations ORDER BY version"
    if isinstance(store, SqliteStore):
        return [r[0] for r in store.db.execute(query)]
    return [r[0] for r in await store.pool.fetch(query)]


# open, migrations


async def test_open_store_answers_ping(store):
    assert await store.ping() is True


async def test_reopening_applies_each_migration_once(store, store_url):
    await store.insert_user(make_user())
    again = open_store(store_url)
    await again.open()
    try:
        assert await again.get_user("u-1") == make_user()
        assert await applied_migrations(again) == [v for v, _ in sql.migrations()]
    finally:
        await again.close()


async def test_postgres_stores_opening_together_migrate_once(pg_server):
    url = pg_server.create_database()
    stores = [open_store(url) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        assert await applied_migrations(stores[0]) == [v for v, _ in sql.migrations()]
        assert all([await s.ping() for s in stores])
    finally:
        await asyncio.gather(*(s.close() for s in stores))


# users


async def test_inserted_user_reads_back_by_id_and_username(store):
    user = make_user(name="Ann", role="admin", enabled=False, tf_doc='{"a": 1}')
    await store.insert_user(user)
    assert await store.get_user("u-1") == user
    assert await store.get_user_by_username("name-u-1") == user
    assert (await store.get_user("u-1")).enabled is False


async def test_missing_user_reads_as_none(store):
    assert await store.get_user("u-none") is None
    assert await store.get_user_by_username("nobody") is None


async def test_users_list_in_id_order_and_count(store):
    await add_users(store, "u-3", "u-1", "u-2")
    assert [u.id for u in await store.list_users()] == ["u-1", "u-2", "u-3"]
    assert await store.count_users() == 3


@pytest.mark.parametrize("clash", [{"user_id": "u-1"}, {"username": "name-u-1"}])
async def test_duplicate_user_id_or_username_raises_conflict(store, clash):
    await add_users(store, "u-1")
    with pytest.raises(Conflict):
        await store.insert_user(make_user(**{"user_id": "u-2", "username": "other", **clash}))
    assert await store.count_users() == 1


async def test_user_update_writes_fields_and_bumps_version(store):
    await add_users(store, "u-1")
    changed = replace(make_user(), username="ann", name="Ann", role="admin", enabled=False,
                      password_hash="$new", tf_doc="{}")
    updated = await store.update_user(changed)
    assert updated == replace(changed, version=2)
    assert await store.get_user("u-1") == updated


async def test_stale_version_user_update_raises_conflict(store):
    await add_users(store, "u-1")
    await store.update_user(replace(make_user(), name="first"))
    with pytest.raises(Conflict):
        await store.update_user(replace(make_user(), name="second"))
    assert (await store.get_user("u-1")).name == "first"


async def test_update_of_missing_user_raises_conflict(store):
    with pytest.raises(Conflict):
        await store.update_user(make_user("u-none"))


async def test_user_update_to_a_taken_username_raises_conflict(store):
    await add_users(store, "u-1", "u-2")
    with pytest.raises(Conflict):
        await store.update_user(replace(make_user("u-2"), username="name-u-1"))


async def test_concurrent_updates_of_one_version_let_exactly_one_win(store):
    await add_users(store, "u-1")
    results = await asyncio.gather(
        *(store.update_user(replace(make_user(), name=f"writer-{i}")) for i in range(4)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, User)]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict) for r in results if r not in winners)
    assert await store.get_user("u-1") == winners[0]


async def test_deleting_a_user_deletes_their_tokens(store):
    await add_users(store, "u-1", "u-2")
    for token in (make_token("t-1"), make_token("t-2"), make_token("t-3", "u-2")):
        await store.insert_token(token)
    assert await store.delete_user("u-1") is True
    assert await store.get_token("t-1") is None
    assert await ids(store) == ["t-3"]
    assert await store.delete_user("u-1") is False


# tokens: single rows


async def test_inserted_token_reads_back_with_every_field(store):
    await add_users(store, "u-1")
    token = make_token(
        "t-1", kind="session", secret="$1:hash", description="laptop", ttl=60_000,
        ttl_requested=90_000, enabled=False, is_derived=False, cluster_id="c-1",
        auth_provider="github", last_used=NOW + 1, last_activity=NOW + 2, tf_doc='{"x": 1}',
        meta=token_meta({"team": "a"}, {"note": "b"}),
    )
    await store.insert_token(token)
    stored = await store.get_token("t-1")
    assert stored == token
    assert (stored.enabled, stored.is_derived) == (False, False)
    assert (stored.labels, stored.annotations) == ({"team": "a"}, {"note": "b"})


async def test_token_and_user_come_back_in_one_read(store):
    await store.insert_user(make_user(role="admin"))
    await store.insert_token(make_token("t-1", ttl=1000))
    assert await store.get_token_and_user("t-1") == (make_token("t-1", ttl=1000), make_user(role="admin"))


async def test_missing_token_reads_as_none(store):
    assert await store.get_token("t-none") is None
    assert await store.get_token_and_user("t-none") is None


async def test_duplicate_token_id_raises_conflict(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1"))
    with pytest.raises(Conflict):
        await store.insert_token(make_token("t-1", description="again"))
    assert (await store.get_token("t-1")).description == ""


async def test_token_of_unknown_user_raises_conflict(store):
    with pytest.raises(Conflict):
        await store.insert_token(make_token("t-1", "u-none"))


async def test_token_update_writes_fields_and_bumps_version(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1", ttl=60_000))
    changed = replace(make_token("t-1"), description="new", ttl=1000, ttl_requested=5000,
                      enabled=False, secret="$1:rehashed", tf_doc="{}",
                      meta=token_meta({"k": "v"}, {}))
    updated = await store.update_token(changed)
    assert updated == replace(changed, version=2)
    assert await store.get_token("t-1") == updated
    assert await ids(store, expired=True) == []
    assert await store.list_tokens(TokenQuery(now=NOW + 1000, expired=True)) == [updated]


async def test_stale_version_token_update_raises_conflict(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1"))
    await store.update_token(make_token("t-1", description="first"))
    with pytest.raises(Conflict):
        await store.update_token(make_token("t-1", description="second"))
    assert (await store.get_token("t-1")).description == "first"


async def test_update_of_missing_token_raises_conflict(store):
    with pytest.raises(Conflict):
        await store.update_token(make_token("t-none"))


async def test_delete_token_reports_whether_it_existed(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1"))
    assert await store.delete_token("t-1") is True
    assert await store.delete_token("t-1") is False
    assert await store.get_token("t-1") is None


async def test_delete_sessions_removes_only_that_users_sessions(store):
    await add_users(store, "u-1", "u-2")
    for token in (make_token("t-1", kind="session"), make_token("t-2", kind="session"),
                  make_token("t-3"), make_token("t-4", "u-2", kind="session")):
        await store.insert_token(token)
    assert await store.delete_sessions("u-1") == 2
    assert await ids(store) == ["t-3", "t-4"]
    assert await store.delete_sessions("u-1") == 0


@pytest.mark.parametrize("activity", [False, True])
async def test_touch_records_use_without_bumping_version(store, activity):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1", last_activity=NOW))
    await store.touch_token("t-1", NOW + 5, activity=activity)
    touched = await store.get_token("t-1")
    assert touched.last_used == NOW + 5
    assert touched.last_activity == (NOW + 5 if activity else NOW)
    assert touched.version == 1


# tokens: listing and purging


@pytest.fixture
async def listed(store):
    """Five tokens of two users; expiry is judged at NOW."""
    await add_users(store, "u-1", "u-2")
    for token in (
        make_token("t-a", description="ci"),  # never expires
        make_token("t-b", kind="session", ttl=1000, created=NOW - 2000),  # expired
        make_token("t-c", "u-2", kind="kubeconfig", ttl=60_000, cluster_id="c-1"),
        make_token("t-d", "u-2", description="ci", ttl=1000, created=NOW - 1000, enabled=False),
        make_token("t-e", cluster_id="c-1", ttl=60_000, created=NOW - 60_001),  # expired
    ):
        await store.insert_token(token)
    return store


LIST_CASES = {
    "no-filter": ({}, ["t-a", "t-b", "t-c", "t-d", "t-e"]),
    "user": ({"user_id": "u-1"}, ["t-a", "t-b", "t-e"]),
    "unknown-user": ({"user_id": "u-none"}, []),
    "description": ({"description": "ci"}, ["t-a", "t-d"]),
    "ttl": ({"ttl": 1000}, ["t-b", "t-d"]),
    "ttl-never": ({"ttl": 0}, ["t-a"]),
    "kind": ({"kind": "api"}, ["t-a", "t-d", "t-e"]),
    "disabled": ({"enabled": False}, ["t-d"]),
    "enabled": ({"enabled": True}, ["t-a", "t-b", "t-c", "t-e"]),
    "expired": ({"expired": True}, ["t-b", "t-d", "t-e"]),  # t-d expires exactly at NOW
    "unexpired": ({"expired": False}, ["t-a", "t-c"]),
    "cluster": ({"cluster_id": "c-1"}, ["t-c", "t-e"]),
    "no-cluster": ({"cluster_id": ""}, ["t-a", "t-b", "t-d"]),
    "combined": ({"user_id": "u-1", "kind": "api", "expired": False}, ["t-a"]),
}


@pytest.mark.parametrize("filters, expected", LIST_CASES.values(), ids=LIST_CASES.keys())
async def test_token_list_returns_only_matching_tokens(listed, filters, expected):
    assert await ids(listed, **filters) == expected


async def test_token_list_pages_in_id_order_with_after_and_limit(store):
    await add_users(store, "u-1")
    for n in (5, 1, 7, 3, 2, 6, 4):
        await store.insert_token(make_token(f"token-{n}"))
    pages, after = [], None
    while page := await ids(store, after=after, limit=3):
        pages.append(page)
        after = page[-1]
    assert pages == [["token-1", "token-2", "token-3"], ["token-4", "token-5", "token-6"], ["token-7"]]


async def test_token_list_pages_combine_with_filters(listed):
    assert await ids(listed, user_id="u-1", after="t-a", limit=1) == ["t-b"]
    assert await ids(listed, user_id="u-1", after="t-b", limit=5) == ["t-e"]


@pytest.mark.parametrize("filters, expected", LIST_CASES.values(), ids=LIST_CASES.keys())
async def test_token_count_counts_what_the_list_returns(listed, filters, expected):
    assert await listed.count_tokens(TokenQuery(now=NOW, **filters)) == len(expected)


async def test_token_count_stops_at_the_limit_and_starts_after(listed):
    assert await listed.count_tokens(TokenQuery(now=NOW, limit=2)) == 2
    assert await listed.count_tokens(TokenQuery(now=NOW, after="t-c")) == 2
    live_not_sessions = TokenQuery(now=NOW, user_id="u-1", not_kind="session", expired=False)
    assert await listed.count_tokens(live_not_sessions) == 1


async def test_purge_deletes_expired_tokens_in_batches(store):
    await add_users(store, "u-1")
    for n in range(5):
        await store.insert_token(make_token(f"t-old-{n}", ttl=1000, created=NOW - 5000))
    await store.insert_token(make_token("t-live", ttl=60_000))
    await store.insert_token(make_token("t-forever", created=NOW - 10**12))
    assert [await store.purge_expired(NOW, 2) for _ in range(4)] == [2, 2, 1, 0]
    assert await ids(store) == ["t-forever", "t-live"]


async def test_a_recorded_expiry_makes_the_token_dead_for_every_query(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1", kind="session"))
    await store.insert_token(make_token("t-2", kind="session"))
    await store.expire_token("t-1", NOW + 5)
    await store.expire_token("t-1", NOW + 9)  # the first refusal is kept
    dead = await store.get_token("t-1")
    assert (dead.expired_at, dead.version) == (NOW + 5, 2)
    assert await ids(store, expired=True) == ["t-1"]
    assert await ids(store, expired=False) == ["t-2"]
    counts = await store.count_tokens_by_kind(NOW)
    assert counts == {("session", True): 1, ("session", False): 1}
    assert await store.purge_expired(NOW, 10) == 1
    assert await ids(store) == ["t-2"]


async def test_sessions_die_by_the_session_and_idle_settings_in_queries(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("s-old", kind="session", created=NOW - 100))
    await store.insert_token(make_token("s-idle", kind="session", last_activity=NOW - 50))
    await store.insert_token(make_token("s-new", kind="session", last_activity=NOW))
    await store.insert_token(make_token("a-old", created=NOW - 100, last_activity=NOW - 50))
    limits = {"session_ms": 100, "idle_ms": 40}
    assert await ids(store, expired=True, **limits) == ["s-idle", "s-old"]
    assert await ids(store, expired=False, **limits) == ["a-old", "s-new"]
    assert await ids(store, expired=True) == []
    assert await store.purge_expired(NOW, 10, **limits) == 2
    assert await ids(store) == ["a-old", "s-new"]


async def test_a_purge_batch_fills_up_from_every_way_of_dying_counting_each_token_once(store):
    await add_users(store, "u-1")
    for n in range(3):
        await store.insert_token(make_token(f"t-old-{n}", ttl=1000, created=NOW - 5000))
    await store.insert_token(make_token("s-1", kind="session"))
    await store.expire_token("s-1", NOW - 1)
    await store.expire_token("t-old-0", NOW - 1)  # dead two ways: purged once
    await store.insert_token(make_token("t-live", ttl=60_000))
    assert [await store.purge_expired(NOW, 3) for _ in range(3)] == [3, 1, 0]
    assert await ids(store) == ["t-live"]


def _dead_tokens(store: SqliteStore, count: int) -> None:
    rows = (sql.token_params(make_token(f"t-{n:06d}", ttl=1000, created=NOW - 5000))
            for n in range(count))
    store.db.execute("BEGIN")
    store.db.executemany(sql.INSERT_TOKEN, rows)
    store.db.execute("COMMIT")


async def test_a_purge_batch_costs_the_same_however_many_tokens_are_dead(tmp_path):
    """A batch reads only the rows it deletes: it never collects every dead id first."""
    costs = []
    for dead in (500, 20_000):
        store = SqliteStore(str(tmp_path / f"{dead}.db"))
        await store.open()
        try:
            await add_users(store, "u-1")
            _dead_tokens(store, dead)
            steps = [0]

            def count() -> int:
                steps[0] += 1
                return 0

            store.db.set_progress_handler(count, 100)
            assert await store.purge_expired(NOW, 100) == 100
            store.db.set_progress_handler(None, 0)
            costs.append(steps[0])
        finally:
            await store.close()
    assert costs[1] < 2 * costs[0], f"steps of one batch at 500 and 20,000 dead: {costs}"


async def test_counting_tokens_by_kind_leaves_the_event_loop_free(tmp_path):
    """/metrics counts every token: a full scan, seconds at 10M tokens, off the loop."""
    store = SqliteStore(str(tmp_path / "store.db"))
    await store.open()
    try:
        await add_users(store, "u-1")
        _dead_tokens(store, 200_000)
        await store.insert_token(make_token("t-live", ttl=60_000))
        counting = asyncio.create_task(store.count_tokens_by_kind(NOW))
        await asyncio.sleep(0)  # the count begins
        assert (await store.get_token("t-live")).id == "t-live"
        assert not counting.done(), "a token read waited for the whole count"
        assert await counting == {("api", True): 200_000, ("api", False): 1}
    finally:
        await store.close()


# token hashing


def tagging_hasher(secret: str) -> str:
    return f"$h:{secret}"


async def test_enable_token_hashing_hashes_only_plain_secrets(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1", secret="plain-1"))
    await store.insert_token(make_token("t-2", secret="$1:already"))
    assert await store.enable_token_hashing(tagging_hasher) == 1
    tokens = await store.list_tokens(TokenQuery(now=NOW))
    assert [(t.secret, t.version) for t in tokens] == [("$h:plain-1", 2), ("$1:already", 1)]
    assert await store.get_features() == {"token-hashing": True}
    assert await store.enable_token_hashing(tagging_hasher) == 0


async def test_hashing_makes_a_stale_write_of_the_plain_secret_conflict(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1"))
    read_before = await store.get_token("t-1")
    await store.enable_token_hashing(tagging_hasher)
    with pytest.raises(Conflict):
        await store.update_token(replace(read_before, description="late"))
    assert (await store.get_token("t-1")).secret == "$h:plain-t-1"


async def test_failed_token_hashing_changes_nothing(store):
    await add_users(store, "u-1")
    await store.insert_token(make_token("t-1"))

    def failing(secret: str) -> str:
        raise ValueError("hasher broke")

    with pytest.raises(ValueError):
        await store.enable_token_hashing(failing)
    assert (await store.get_token("t-1")).secret == "plain-t-1"
    assert await store.get_features() == {}


async def test_concurrent_token_hashing_hashes_each_secret_once(store):
    await add_users(store, "u-1")
    for n in range(6):
        await store.insert_token(make_token(f"t-{n}"))
    counts = await asyncio.gather(*(store.enable_token_hashing(tagging_hasher) for _ in range(3)))
    assert sum(counts) == 6
    assert {t.secret for t in await store.list_tokens(TokenQuery(now=NOW))} == {
        f"$h:plain-t-{n}" for n in range(6)
    }


# settings, features, documents


async def test_settings_are_stored_and_none_resets_them(store):
    await store.put_settings({"a": "1", "b": "2"}, {})
    await store.put_settings({"a": None, "b": "3", "never-set": None}, {})
    assert await store.get_settings() == {"b": "3"}


async def test_settings_and_documents_are_written_together(store):
    await store.put_settings({"a": "1"}, {("setting", "a"): '{"v": 1}', ("policy", "p"): "{}"})
    assert await store.get_settings() == {"a": "1"}
    assert await store.get_doc("setting", "a") == '{"v": 1}'
    await store.put_settings({"a": None}, {("setting", "a"): None, ("policy", "p"): "{2}"})
    assert await store.get_doc("setting", "a") is None
    assert await store.get_doc("policy", "p") == "{2}"


async def test_settings_put_that_fails_half_way_writes_nothing(store):
    class Exploding(dict):
        def items(self):
            yield from list(super().items())
            raise RuntimeError("broke after the first value")

    with pytest.raises(RuntimeError):
        await store.put_settings(Exploding({"a": "1"}), {("setting", "a"): "{}"})
    assert await store.get_settings() == {}
    assert await store.get_doc("setting", "a") is None


async def test_features_are_stored_as_booleans_and_none_deletes(store):
    await store.set_feature("token-hashing", True)
    await store.set_feature("other", False)
    assert await store.get_features() == {"token-hashing": True, "other": False}
    assert (await store.get_features())["other"] is False
    await store.set_feature("token-hashing", None)
    assert await store.get_features() == {"other": False}


async def test_documents_are_read_by_kind(store):
    await store.put_settings({}, {("setting", "a"): "A", ("setting", "b"): "B", ("policy", "a"): "P"})
    assert await store.get_docs("setting") == {"a": "A", "b": "B"}
    assert await store.get_docs("none") == {}
    assert await store.get_doc("policy", "a") == "P"
