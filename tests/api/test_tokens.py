"""Tokens on the v3 face: creation, clamping, reads, updates, deletion, listing."""

import re

from shim.policy import MINUTE_MS
from tests.conftest import START_MS

MAX_MS = 129600 * MINUTE_MS


async def test_create_returns_201_with_bearer_shown_once(api):
    reply = await api.post("/v3/tokens", {"description": "ci", "ttl": 60_000})
    assert reply.status == 201
    body = reply.body
    assert re.match(r"^token-[bcdfghjklmnpqrstvwxz2456789]{5}$", body["id"])
    token_id, _, secret = body["token"].partition(":")
    assert token_id == body["id"] and len(secret) == 54
    again = await api.get(f"/v3/tokens/{body['id']}")
    assert again.status == 200 and "token" not in again.body
    listed = await api.get("/v3/tokens")
    assert all("token" not in t for t in listed.body["data"])


async def test_created_token_authenticates_as_its_owner(api):
    created = await api.new_token(description="x")
    root = await api.as_(created["token"]).get("/v3")
    assert root.status == 200 and root.body["userId"] == api.admin_id


async def test_token_object_has_rancher_fields(api):
    body = await api.new_token(description="d", ttl=120_000)
    assert body["type"] == body["baseType"] == "token"
    assert body["name"] == body["id"]
    assert body["ttl"] == 120_000 and body["isDerived"] is True and body["enabled"] is True
    assert body["expiresAt"] == "2027-01-15T08:02:00Z"
    assert body["createdTS"] == START_MS and body["expired"] is False
    assert body["userPrincipal"] == f"local://{api.admin_id}"
    assert body["labels"]["authn.management.cattle.io/token-userId"] == api.admin_id
    assert body["links"]["self"].endswith(f"/v3/tokens/{body['id']}")


async def test_ttl_above_max_is_clamped(api):
    body = await api.new_token(ttl=MAX_MS * 10)
    assert body["ttl"] == MAX_MS


async def test_ttl_zero_becomes_max_for_api_tokens(api):
    assert (await api.new_token(ttl=0))["ttl"] == MAX_MS


async def test_max_zero_means_no_cap_and_zero_never_expires(api):
    await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "0"})
    body = await api.new_token(ttl=0)
    assert body["ttl"] == 0 and body["expiresAt"] == ""
    assert (await api.new_token(ttl=MAX_MS * 10))["ttl"] == MAX_MS * 10


async def test_negative_ttl_is_rejected_and_nothing_written(api, core):
    before = len((await api.get("/v3/tokens")).body["data"])
    reply = await api.post("/v3/tokens", {"ttl": -1})
    assert reply.status == 422
    assert reply.body["fieldName"] == "ttl" and "-1" in reply.body["message"]
    assert len((await api.get("/v3/tokens")).body["data"]) == before


async def test_lowered_max_applies_to_new_tokens_at_once(api):
    await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "5"})
    assert (await api.new_token(ttl=MAX_MS))["ttl"] == 5 * MINUTE_MS


async def test_system_tokens_never_expire_and_are_not_clamped(api, clock):
    for kind in ("kubectl-shell", "agent", "compose-token", "helm-token", "drain-node"):
        body = await api.new_token(kind=kind, ttl=5000)
        assert body["id"].startswith(f"{kind}-") and body["ttl"] == 0 and body["expiresAt"] == ""
    clock.advance(10 * 365 * 24 * 3600 * 1000)
    assert (await api.as_(body["token"]).get("/v3")).status == 200


async def test_only_admins_create_system_tokens(api):
    user = await api.new_user("bob")
    reply = await user.post("/v3/tokens", {"kind": "agent"})
    assert reply.status == 403


async def test_admin_creates_token_for_another_user(api):
    user = await api.new_user("svc-ci")
    body = await api.new_token(userId=user.user_id, description="ci")
    assert body["userId"] == user.user_id
    whoami = await api.as_(body["token"]).get("/v3")
    assert whoami.body["userId"] == user.user_id


async def test_user_cannot_create_token_for_another_user(api):
    user = await api.new_user("mallory")
    reply = await user.post("/v3/tokens", {"userId": api.admin_id})
    assert reply.status == 403


async def test_token_for_unknown_user_is_422_naming_user_id(api):
    reply = await api.post("/v3/tokens", {"userId": "user-nope"})
    assert reply.status == 422 and reply.body["fieldName"] == "userId"


async def test_unknown_cluster_is_422(api):
    reply = await api.post("/v3/tokens", {"clusterId": "nowhere"})
    assert reply.status == 422 and reply.body["fieldName"] == "clusterId"


async def test_users_see_only_their_tokens_and_admins_see_all(api):
    alice, bob = await api.new_user("alice"), await api.new_user("bobby")
    mine = await alice.new_token(description="alice's")
    theirs = await bob.new_token(description="bob's")
    alice_ids = {t["id"] for t in (await alice.get("/v3/tokens")).body["data"]}
    assert mine["id"] in alice_ids and theirs["id"] not in alice_ids
    assert (await alice.get(f"/v3/tokens/{theirs['id']}")).status == 404
    assert (await alice.delete(f"/v3/tokens/{theirs['id']}")).status == 404
    admin_ids = {t["id"] for t in (await api.get("/v3/tokens")).body["data"]}
    assert {mine["id"], theirs["id"]} <= admin_ids


async def test_missing_token_is_404_with_rancher_message(api):
    reply = await api.get("/v3/tokens/token-zzzzz")
    assert reply.status == 404 and reply.body["message"] == "token-zzzzz not found"


async def test_expired_is_computed_at_request_time(api, clock):
    body = await api.new_token(ttl=1000)
    clock.advance(1000)
    assert (await api.get(f"/v3/tokens/{body['id']}")).body["expired"] is True


async def test_current_marks_the_session_making_the_request(api):
    listed = await api.get("/v3/tokens")
    current = [t for t in listed.body["data"] if t["current"]]
    assert [t["id"] for t in current] == [api.bearer.split(":")[0]]


async def test_delete_returns_204_and_token_stops_working(api):
    body = await api.new_token()
    assert (await api.delete(f"/v3/tokens/{body['id']}")).status == 204
    assert (await api.as_(body["token"]).get("/v3")).status == 401
    assert (await api.get(f"/v3/tokens/{body['id']}")).status == 404


async def test_deleting_current_session_is_400_with_rancher_message(api):
    session_id = api.bearer.split(":")[0]
    reply = await api.delete(f"/v3/tokens/{session_id}")
    assert reply.status == 400
    assert reply.body["message"] == "Cannot delete token for current session. Use logout instead"


async def test_logout_ends_the_current_session(api):
    assert (await api.post("/v3/tokens?action=logout")).status == 200
    assert (await api.get("/v3")).status == 401


async def test_logout_all_ends_every_session_but_keeps_api_tokens(api):
    other = await api.login("admin", "admin-password-1")
    kept = await api.new_token()
    assert (await api.post("/v3/tokens?action=logoutAll")).status == 200
    assert (await api.as_(other.body["token"]).get("/v3")).status == 401
    assert (await api.as_(kept["token"]).get("/v3")).status == 200
