"""A replica whose cache lags behind another replica's write still keeps the rules that matter."""

from __future__ import annotations

from shim import crypto
from shim.settings_catalog import IDLE_TTL, SESSION_TTL


async def test_a_stale_hashing_flag_still_stores_new_secrets_hashed(api, core):
    await core.store.enable_token_hashing(crypto.hash_secret)  # as another replica would
    assert core.features.hashing is False  # this replica has not heard yet
    made = await api.new_token(description="after")
    stored = await core.store.get_token(made["id"])
    assert stored.secret.startswith("$2:")
    assert (await api.as_(made["token"]).get("/v3")).status == 200
    assert core.features.hashing is True


async def test_a_stale_settings_cache_cannot_let_idle_exceed_session(api, core):
    await core.store.put_settings({SESSION_TTL: "100"}, {})  # another replica lowered it
    assert core.settings.value(SESSION_TTL) == "960"
    reply = await api.put(f"/v3/settings/{IDLE_TTL}", {"value": "500"})
    assert reply.status == 422 and IDLE_TTL in reply.body["message"]
    assert core.settings.value(IDLE_TTL) == "960"
    assert (await core.store.get_settings()) == {SESSION_TTL: "100"}


async def test_a_terraform_put_on_a_stale_replica_is_not_skipped_as_unchanged(api, core):
    doc = {"name": "auth-token-max-ttl-minutes", "value": "60"}
    path = "/terraform/v1/settings/auth-token-max-ttl-minutes"
    assert (await api.put(path, doc)).status == 200
    await core.store.put_settings({"auth-token-max-ttl-minutes": "30"}, {})  # changed elsewhere
    assert (await api.put(path, doc)).status == 200
    assert (await core.store.get_settings())["auth-token-max-ttl-minutes"] == "60"
