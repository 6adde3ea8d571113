"""The token-hashing feature: on at once for every secret, locked once on."""

import sqlite3
import uuid

import pytest

from shim import crypto
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
