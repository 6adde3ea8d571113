"""Ext token names are per user (issue 22, finding 7): no user learns or blocks another's
names, a name is a whole RFC 1123 subdomain (no trailing newline), and an admin names
another user's token `<user id>:<name>`."""

import json

import pytest

from shim import crypto
from shim.core import ext_tokens as ext
from shim.store.base import Token

TOKENS = "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens"


def manifest(name: str | None) -> dict:
    return {"apiVersion": "ext.cattle.io/v1", "kind": "Token",
            "metadata": {"name": name} if name else {}, "spec": {}}


async def names(api) -> list[str]:
    return sorted(t["metadata"]["name"] for t in (await api.get(TOKENS)).body["items"])


@pytest.fixture
async def alice(api):
    return await api.new_user("alice")


@pytest.fixture
async def bob(api):
    return await api.new_user("bob")


@pytest.mark.parametrize("name", ["alice-ci\n", "alice-ci\r\n", "\nalice-ci", "alice-ci\n\n",
                                  "Alice", "-a", "a-", "a:b", ""])
async def test_a_name_must_be_a_whole_rfc1123_subdomain(alice, name):
    reply = await alice.post(TOKENS, manifest(name) | {"metadata": {"name": name}})
    assert reply.status == 422, (name, reply.body)
    assert reply.body["reason"] == "Invalid"
    assert await names(alice) == []


async def test_another_users_names_are_neither_seen_nor_blocked(alice, bob):
    theirs = await alice.post(TOKENS, manifest("alice-ci"))
    assert theirs.status == 201
    assert (await bob.get(f"{TOKENS}/alice-ci")).status == 404
    mine = await bob.post(TOKENS, manifest("alice-ci"))  # was 409: a global oracle
    assert mine.status == 201, mine.body
    assert mine.body["spec"]["userID"] == bob.user_id
    assert (await bob.get(f"{TOKENS}/alice-ci")).body["spec"]["userID"] == bob.user_id
    assert (await alice.get(f"{TOKENS}/alice-ci")).body["spec"]["userID"] == alice.user_id
    for made in (theirs, mine):
        bearer = made.body["status"]["bearerToken"]
        assert (await alice.as_(bearer).get("/v3")).body["userId"] == made.body["spec"]["userID"]
    assert (await bob.delete(f"{TOKENS}/alice-ci")).status == 200
    assert (await alice.get(f"{TOKENS}/alice-ci")).status == 200


async def test_a_v3_token_id_is_no_oracle_either(alice, bob):
    v3_id = (await alice.new_token())["id"]
    made = await bob.post(TOKENS, manifest(v3_id))
    assert made.status == 201, made.body
    assert (await alice.get(f"/v3/tokens/{v3_id}")).status == 200


async def test_an_admin_sees_every_users_token_by_its_owner_and_name(api, alice, bob):
    for user in (alice, bob):
        assert (await user.post(TOKENS, manifest("ci"))).status == 201
    assert (await api.post(TOKENS, manifest("ci"))).status == 201
    listed = await names(api)
    assert listed == sorted(["ci", f"{alice.user_id}:ci", f"{bob.user_id}:ci"])
    hers = await api.get(f"{TOKENS}/{alice.user_id}:ci")
    assert hers.status == 200 and hers.body["spec"]["userID"] == alice.user_id
    edited = await api.request("PATCH", f"{TOKENS}/{alice.user_id}:ci",
                               data=json.dumps({"spec": {"description": "seen"}}),
                               headers={"Content-Type": "application/merge-patch+json"})
    assert edited.status == 200 and edited.body["metadata"]["name"] == f"{alice.user_id}:ci"
    assert (await alice.get(f"{TOKENS}/ci")).body["spec"]["description"] == "seen"
    assert (await bob.get(f"{TOKENS}/{alice.user_id}:ci")).status == 404
    assert (await bob.get(f"{TOKENS}/{bob.user_id}:ci")).status == 200  # own, qualified
    assert (await api.delete(f"{TOKENS}/{bob.user_id}:ci")).status == 200
    assert await names(bob) == []


async def test_a_legacy_token_stored_under_its_bare_name_still_works(api, alice, core, clock):
    secret = crypto.new_secret()
    await core.store.insert_token(Token(
        id="old-ci", user_id=alice.user_id, kind=ext.EXT, secret=crypto.hash_secret_sha3(secret),
        description="", ttl=0, ttl_requested=-1, created=clock(), uuid=crypto.new_uuid(),
        meta=ext.Meta().dump()))
    assert (await alice.as_(f"ext/old-ci:{secret}").get("/v3")).status == 200
    assert await names(alice) == ["old-ci"]
    assert (await alice.get(f"{TOKENS}/old-ci")).status == 200
    assert (await alice.post(TOKENS, manifest("old-ci"))).status == 409
    assert await names(api) == [f"{alice.user_id}:old-ci"]
    assert (await api.get(f"{TOKENS}/{alice.user_id}:old-ci")).status == 200
    assert (await api.post(TOKENS, manifest("old-ci"))).status == 201  # the admin's own
    assert (await alice.delete(f"{TOKENS}/old-ci")).status == 200
    assert await core.store.get_token("old-ci") is None
