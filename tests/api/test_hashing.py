"""The token-hashing feature: on at once for every secret, locked once on."""

import sqlite3
import uuid

import pytest

from shim import crypto
from shim.keys import CORE
from shim.store.base import Token
from tests.api.test_auth import MUST_AUTHENTICATE
from tests.support import basic
from tests.unit import test_hash_vectors as vectors

FEATURE = "/v3/features/token-hashing"


def db_path(config) -> str:
    return config.db.removeprefix("sqlite:///")


def file_bytes(path: str) -> bytes:
    """The database and its WAL, as an attacker reading the disk would see them."""
    import os

    parts = [path, path + "-wal"]
    return b"".join(open(p, "rb").read() for p in parts if os.path.exists(p))


async def test_feature_defaults_to_off_and_unlocked(api):
    body = (await api.get(FEATURE)).body
    assert body["value"] is False
    assert body["status"]["default"] is False and body["status"]["lockedValue"] is None
    listed = await api.get("/v3/features")
    assert [f["id"] for f in listed.body["data"]] == ["token-hashing"]


async def test_enabling_hashes_every_stored_secret_and_tokens_keep_working(api, config, core):
    made = [await api.new_token(description=f"t{i}") for i in range(3)]
    assert (await api.put(FEATURE, {"value": True})).status == 200
    for body in made:
        stored = (await core.store.get_token(body["id"])).secret
        assert stored.startswith("$2:")
        assert (await api.as_(body["token"]).get("/v3")).status == 200
    assert (await api.get("/v3")).status == 200  # the admin's session too


async def test_no_secret_remains_in_the_sqlite_file_after_enabling(api, config, core):
    made = [await api.new_token() for _ in range(5)]
    await api.put(FEATURE, {"value": True})
    made.append(await api.new_token())
    db = sqlite3.connect(db_path(config))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    stored = [row[0] for row in db.execute("SELECT secret FROM tokens")]
    db.close()
    assert stored and all(s.startswith("$2:") for s in stored)
    raw = file_bytes(db_path(config))
    secrets = [m["token"].split(":")[1] for m in made] + [api.bearer.split(":")[1]]
    assert not [s for s in secrets if s.encode() in raw]


async def test_new_tokens_are_stored_hashed(api, core):
    await api.put(FEATURE, {"value": True})
    body = await api.new_token()
    assert (await core.store.get_token(body["id"])).secret.startswith("$2:")
    assert (await api.as_(body["token"]).get("/v3")).status == 200


async def test_hashing_is_locked_once_on(api):
    await api.put(FEATURE, {"value": True})
    body = (await api.get(FEATURE)).body
    assert body["value"] is True and body["status"]["lockedValue"] is True
    for value in (False, None):
        reply = await api.put(FEATURE, {"value": value})
        assert reply.status == 422 and reply.body["message"] == "token-hashing is locked"
    assert (await api.put(FEATURE, {"value": True})).status == 200


async def test_rancher_sha3_hashes_verify(api, core, clock):
    secret = crypto.new_secret()
    token = Token(id="token-rnchr", user_id=api.admin_id, kind="api",
                  secret=crypto.hash_secret_sha3(secret), description="imported", ttl=0,
                  ttl_requested=0, created=clock(), uuid=str(uuid.uuid4()))
    await core.store.insert_token(token)
    assert (await api.as_(f"token-rnchr:{secret}").get("/v3")).status == 200
    assert (await api.as_(f"token-rnchr:{'x' * 54}").get("/v3")).status == 401


async def test_only_admins_change_features(api):
    user = await api.new_user("quin")
    assert (await user.put(FEATURE, {"value": True})).status == 403
    assert (await api.get(FEATURE)).body["value"] is False


async def test_hashing_on_by_default_hashes_at_start(make_api, config, tmp_path):
    api = await make_api(config, token_hashing_default=True)
    body = (await api.get(FEATURE)).body
    assert body["value"] is True and body["status"]["default"] is True
    stored = sqlite3.connect(db_path(config)).execute("SELECT secret FROM tokens").fetchall()
    assert stored and all(s.startswith("$2:") for (s,) in stored)


# Nothing recoverable from the database's files once hashing is on (issue 13.4).


def _every_file(directory) -> dict[str, bytes]:
    from pathlib import Path

    return {p.name: p.read_bytes() for p in Path(directory).iterdir() if p.is_file()}


def _secrets(made: list[dict]) -> list[bytes]:
    return [m["token"].split(":")[1].encode() for m in made]


async def test_no_secret_is_left_in_any_file_of_the_sqlite_directory(api, config, tmp_path):
    """db, -wal and -shm, read right after the switch, with the server still running."""
    made = [await api.new_token(description=f"t{i}") for i in range(4)]
    secrets = _secrets(made) + [api.bearer.split(":")[1].encode()]
    files = _every_file(tmp_path)
    assert {"shim.db", "shim.db-wal"} <= set(files)
    assert any(s in b"".join(files.values()) for s in secrets)  # the test can see them
    assert (await api.put(FEATURE, {"value": True})).status == 200
    found = {name: [s for s in secrets if s in raw] for name, raw in _every_file(tmp_path).items()}
    assert not any(found.values()), found
    for body in made:
        assert (await api.as_(body["token"]).get("/v3")).status == 200


async def test_the_rewrite_runs_in_batches(api, core):
    made = [await api.new_token() for _ in range(7)]
    hashed = await core.store.enable_token_hashing(crypto.hash_secret, batch=2)
    assert hashed == 8  # the admin's session too
    for body in made:
        assert (await core.store.get_token(body["id"])).secret.startswith("$2:")
    assert not await core.store.has_plain_secrets()


async def test_requests_are_served_between_batches(api, core):
    import asyncio

    for _ in range(30):
        await api.new_token()
    served = []

    async def reads():
        while not rewrite.done():
            served.append((await api.get("/v3")).status)

    rewrite = asyncio.ensure_future(core.store.enable_token_hashing(crypto.hash_secret, batch=3))
    await asyncio.gather(rewrite, reads())
    assert len(served) >= 3 and set(served) == {200}


async def test_a_rewrite_cut_short_is_finished_at_the_next_start(make_api, config, clock):
    api = await make_api(config)
    made = [await api.new_token() for _ in range(3)]
    core = api.client.server.app[CORE]
    await core.store.hash_secrets(crypto.hash_secret, "", 1, enable=True)  # then "died"
    assert await core.store.has_plain_secrets()
    await api.client.close()
    again = await make_api(config)
    store = again.client.server.app[CORE].store
    assert not await store.has_plain_secrets()
    for body in made:
        assert (await again.as_(body["token"]).get("/v3")).status == 200


async def test_new_sqlite_files_are_private_to_the_owner(api, config, tmp_path):
    import stat

    await api.new_token()
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir() if p.is_file()}
    assert {"shim.db", "shim.db-wal", "shim.db-shm"} <= set(modes)
    assert modes == {name: 0o600 for name in modes}, {n: oct(m) for n, m in modes.items()}


async def test_no_secret_is_left_in_the_postgres_tokens_table_files(make_api, config, pg_server):
    import asyncpg
    from pathlib import Path

    url = pg_server.create_database()
    api = await make_api(config, db=url)
    made = [await api.new_token(description=f"t{i}") for i in range(6)]
    secrets = _secrets(made) + [api.bearer.split(":")[1].encode()]
    conn = await asyncpg.connect(url)
    try:
        async def table_bytes() -> bytes:
            await conn.execute("CHECKPOINT")
            files = []
            for name in ("tokens", "tokens_pkey"):
                files.append(await conn.fetchval(f"SELECT pg_relation_filepath('{name}')"))
            data = Path(pg_server.data)
            return b"".join(p.read_bytes() for f in files for p in data.glob(f + "*"))

        before = await table_bytes()
        assert any(s in before for s in secrets)  # the test can see them
        assert (await api.put(FEATURE, {"value": True})).status == 200
        raw = await table_bytes()
        assert not [s for s in secrets if s in raw]
        attstattarget = await conn.fetchval(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'tokens'::regclass AND attname = 'secret'")
        assert attstattarget == 0  # ANALYZE never samples secrets into pg_statistic
    finally:
        await conn.close()
    for body in made:
        assert (await api.as_(body["token"]).get("/v3")).status == 200


async def test_switching_hashing_on_again_finishes_a_rewrite_cut_short(api, core):
    made = [await api.new_token() for _ in range(3)]
    await core.store.hash_secrets(crypto.hash_secret, "", 1, enable=True)  # then "cancelled"
    await core.features.refresh()
    assert await core.store.has_plain_secrets()
    assert (await api.put(FEATURE, {"value": True})).status == 200
    assert not await core.store.has_plain_secrets()
    for body in made:
        assert (await api.as_(body["token"]).get("/v3")).status == 200


@pytest.mark.parametrize("stored", [vectors.SHA256, vectors.SHA3], ids=["sha256", "sha3-512"])
async def test_imported_rancher_vector_authenticates_with_its_secret_and_nothing_else(
        api, core, clock, stored):
    token = Token(id="token-vectr", user_id=api.admin_id, kind="api", secret=stored,
                  description="imported", ttl=0, ttl_requested=0, created=clock(),
                  uuid=str(uuid.uuid4()))
    await core.store.insert_token(token)
    secret = vectors.SECRET
    assert (await api.as_(f"token-vectr:{secret}").get("/v3")).status == 200
    assert (await api.as_(None).get("/v3", headers={"Authorization": basic(f"token-vectr:{secret}")})).status == 200
    for wrong in [stored, secret[:-1] + "q", "q" + secret[1:], secret[:-1], secret + "b",
                  vectors.SECRET_THEN_SALT, stored.rpartition(":")[2]]:
        reply = await api.as_(f"token-vectr:{wrong}").get("/v3")
        assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE), wrong
