"""A cluster-scoped token never escapes its scope (issue 22, finding 1): not through
tokens.ext.cattle.io (create, every patch type, server-side apply, replace, delete), and
the core refuses the same on every other path that mints or changes a credential."""

import json

import pytest

from shim.core.principal import Principal
from shim.errors import ApiError
from shim.keys import CORE
from shim.policy import MINUTE_MS
from shim.store.base import TokenQuery

K8S = "/k8s/clusters/local"
TOKENS = f"{K8S}/apis/ext.cattle.io/v1/tokens"
DAY_MS = 24 * 60 * MINUTE_MS
PATCHES = {
    "merge": ("application/merge-patch+json", {"spec": {"enabled": True}}),
    "strategic": ("application/strategic-merge-patch+json", {"spec": {"enabled": True}}),
    "json-patch": ("application/json-patch+json",
                   [{"op": "replace", "path": "/spec/enabled", "value": True}]),
    "apply": ("application/apply-patch+yaml",
              {"apiVersion": "ext.cattle.io/v1", "kind": "Token", "spec": {"enabled": True}}),
}


@pytest.fixture
async def api(make_api, config):
    return await make_api(config, clusters=("local", "other"))


@pytest.fixture
async def alice(api):
    return await api.new_user("alice")


@pytest.fixture
async def scoped(alice):
    """Alice's v3 token scoped to cluster local, living one minute."""
    token = await alice.new_token(clusterId="local", ttl=60_000)
    return alice.as_(token["token"])


def manifest(name: str, **spec) -> dict:
    return {"apiVersion": "ext.cattle.io/v1", "kind": "Token", "metadata": {"name": name},
            "spec": spec}


async def ext_token(api, name: str, **spec) -> dict:
    reply = await api.post(TOKENS, manifest(name, **spec))
    assert reply.status == 201, reply.body
    return reply.body


async def patch(api, name: str, kind: str):
    ctype, body = PATCHES[kind]
    if kind == "apply":
        body = body | {"metadata": {"name": name}}
    return await api.request("PATCH", f"{TOKENS}/{name}", data=json.dumps(body),
                             headers={"Content-Type": ctype})


async def names(api) -> list[str]:
    return sorted(t["metadata"]["name"] for t in (await api.get(TOKENS)).body["items"])


async def test_the_scoped_token_itself_is_refused_outside_its_cluster(scoped):
    assert (await scoped.get("/v3/tokens")).status == 401
    assert (await scoped.get(TOKENS)).status == 200


async def test_scoped_token_cannot_create_unscoped_ext_token(scoped):
    made = await ext_token(scoped, "escape1")
    assert made["spec"]["clusterName"] == "local"
    assert 0 < made["spec"]["ttl"] <= 60_000  # no later end than the caller's own token
    escaped = scoped.as_(made["status"]["bearerToken"])
    assert (await escaped.get("/v3/tokens")).status == 401
    assert (await escaped.post("/v3/tokens", {"ttl": 90 * DAY_MS})).status == 401
    assert (await escaped.get("/terraform/v1/tokens")).status == 401
    assert (await escaped.get(TOKENS)).status == 200


async def test_scoped_token_cannot_create_ext_token_for_another_cluster(scoped, alice):
    refused = await scoped.post(TOKENS, manifest("escape2", clusterName="other"))
    assert refused.status == 403, refused.body
    assert refused.body["kind"] == "Status" and "scoped to cluster local" in refused.body["message"]
    assert await names(alice) == []


async def test_an_ext_token_made_by_a_scoped_one_outlives_nothing(scoped, clock):
    made = await ext_token(scoped, "short", ttl=30 * DAY_MS)
    clock.advance(61_000)
    assert (await scoped.as_(made["status"]["bearerToken"]).get(TOKENS)).status == 401


async def test_a_scoped_ext_token_is_a_scoped_caller_too(alice):
    scoped_ext = await ext_token(alice, "scoped-ext", clusterName="local", ttl=60_000)
    caller = alice.as_(scoped_ext["status"]["bearerToken"])
    made = await ext_token(caller, "child")
    assert made["spec"]["clusterName"] == "local" and made["spec"]["ttl"] <= 60_000
    assert (await caller.post(TOKENS, manifest("x", clusterName="other"))).status == 403


async def test_scoped_token_neither_sees_nor_deletes_unscoped_ext_tokens(scoped, alice):
    await ext_token(alice, "full")
    assert (await scoped.get(f"{TOKENS}/full")).status == 404
    assert await names(scoped) == []
    assert (await scoped.delete(f"{TOKENS}/full")).status == 404
    assert (await alice.get(f"{TOKENS}/full")).status == 200


@pytest.mark.parametrize("kind", PATCHES)
async def test_no_patch_type_reaches_an_unscoped_ext_token(scoped, alice, api, kind):
    await ext_token(alice, "full")
    disabled = await api.request(  # an admin names alice's token <her id>:<name>
        "PATCH", f"{TOKENS}/{alice.user_id}:full", data='{"spec":{"enabled":false}}',
        headers={"Content-Type": "application/merge-patch+json"})
    assert disabled.status == 200 and disabled.body["spec"]["enabled"] is False
    reply = await patch(scoped, "full", kind)
    assert reply.status in (404, 409), reply.body  # apply falls back to create: the name is taken
    assert (await alice.get(f"{TOKENS}/full")).body["spec"]["enabled"] is False


@pytest.mark.parametrize("kind", PATCHES)
async def test_scoped_token_cannot_reenable_a_token_an_admin_disabled(scoped, alice, api, kind):
    await ext_token(alice, "in-scope", clusterName="local", ttl=60_000)
    await api.request("PATCH", f"{TOKENS}/{alice.user_id}:in-scope",
                      data='{"spec":{"enabled":false}}',
                      headers={"Content-Type": "application/merge-patch+json"})
    reply = await patch(scoped, "in-scope", kind)
    assert reply.status == 403, reply.body
    assert "may not enable a token" in reply.body["message"]
    assert (await alice.get(f"{TOKENS}/in-scope")).body["spec"]["enabled"] is False


async def test_replace_cannot_reenable_either(scoped, alice):
    made = await ext_token(alice, "in-scope", clusterName="local", ttl=60_000)
    await alice.request("PATCH", f"{TOKENS}/in-scope", data='{"spec":{"enabled":false}}',
                        headers={"Content-Type": "application/merge-patch+json"})
    whole = (await scoped.get(f"{TOKENS}/in-scope")).body
    whole["spec"]["enabled"] = True
    assert (await scoped.put(f"{TOKENS}/in-scope", whole)).status == 403
    assert made["metadata"]["name"] == "in-scope"


async def test_scoped_token_may_narrow_what_it_covers(scoped):
    await ext_token(scoped, "mine")
    off = await scoped.request("PATCH", f"{TOKENS}/mine", data='{"spec":{"enabled":false}}',
                               headers={"Content-Type": "application/merge-patch+json"})
    assert off.status == 200 and off.body["spec"]["enabled"] is False
    assert (await scoped.delete(f"{TOKENS}/mine")).status == 200


async def test_server_side_apply_of_a_new_name_makes_a_scoped_token(scoped):
    body = manifest("applied", clusterName="")
    del body["spec"]["clusterName"]
    made = await scoped.request(
        "PATCH", f"{TOKENS}/applied?fieldManager=kubectl", data=json.dumps(body),
        headers={"Content-Type": "application/apply-patch+yaml"})
    assert made.status == 201, made.body
    assert made.body["spec"]["clusterName"] == "local" and made.body["spec"]["ttl"] <= 60_000
    other = await scoped.request(
        "PATCH", f"{TOKENS}/applied2", data=json.dumps(manifest("applied2", clusterName="other")),
        headers={"Content-Type": "application/apply-patch+yaml"})
    assert other.status == 403


async def test_a_scoped_admin_token_manages_only_its_own_scope(api, alice):
    await ext_token(alice, "hers", clusterName="local")
    admin_scoped = api.as_((await api.new_token(clusterId="local"))["token"])
    assert await names(admin_scoped) == []
    assert (await admin_scoped.get(f"{TOKENS}/{alice.user_id}:hers")).status == 404
    assert (await admin_scoped.delete(TOKENS)).body["items"] == []
    assert (await alice.get(f"{TOKENS}/hers")).status == 200


@pytest.mark.parametrize("path, body", [
    ("management.cattle.io/v3/settings/auth-user-session-ttl-minutes", {"value": "99999"}),
    ("management.cattle.io/v3/features/token-hashing", {"spec": {"value": True}}),
])
async def test_a_scoped_admin_token_changes_no_token_setting(api, path, body):
    admin_scoped = api.as_((await api.new_token(clusterId="local"))["token"])
    before = (await api.get(f"{K8S}/apis/{path}")).body
    reply = await admin_scoped.request("PATCH", f"{K8S}/apis/{path}", data=json.dumps(body),
                                       headers={"Content-Type": "application/merge-patch+json"})
    assert reply.status == 403, reply.body
    assert (await api.get(f"{K8S}/apis/{path}")).body == before
    unscoped = await api.request("PATCH", f"{K8S}/apis/{path}", data=json.dumps(body),
                                 headers={"Content-Type": "application/merge-patch+json"})
    assert unscoped.status == 200, unscoped.body


# -- the core rule on the paths a scoped token cannot reach over HTTP today


async def principal(api, bearer: str) -> Principal:
    core = api.client.server.app[CORE]
    token_id = bearer.rpartition(":")[0]
    token, user = await core.store.get_token_and_user(token_id)
    return Principal(user, token)


async def test_core_refuses_scoped_v3_changes_outside_or_widening(api, alice, scoped, clock):
    core = api.client.server.app[CORE]
    actor = await principal(api, scoped.bearer)
    unscoped = await alice.new_token(ttl=60_000)
    with pytest.raises(ApiError) as hidden:
        await core.tokens.update(actor, unscoped["id"], {"enabled": False}, clock())
    assert hidden.value.status == 404
    in_scope = await alice.new_token(clusterId="local", ttl=30_000)
    await core.tokens.update(actor, in_scope["id"], {"enabled": False}, clock())
    with pytest.raises(ApiError) as widened:
        await core.tokens.update(actor, in_scope["id"], {"enabled": True}, clock())
    assert widened.value.status == 403
    listed = await core.tokens.list(actor, TokenQuery(now=clock()))
    assert {t.cluster_id for t in listed} == {"local"}
    assert unscoped["id"] not in {t.id for t in listed}


async def test_core_refuses_scoped_minting_for_others_and_user_changes(api, alice, scoped, clock):
    core = api.client.server.app[CORE]
    actor = await principal(api, (await api.new_token(clusterId="local"))["token"])
    with pytest.raises(ApiError) as other_user:
        await core.tokens.create(actor, clock(), user_id=alice.user_id)
    assert other_user.value.status == 403
    with pytest.raises(ApiError) as other_cluster:
        await core.tokens.create(actor, clock(), cluster_id="other")
    assert other_cluster.value.status == 403
    new = await core.tokens.create(actor, clock(), ttl=90 * DAY_MS)
    assert new.token.cluster_id == "local"
    mine = await principal(api, scoped.bearer)
    for attempt in (core.tokens.logout_all(mine),
                    core.users.change_password(mine, "user-password-1", "another-pass-1"),
                    core.users.set_password(actor, alice.user_id, "another-pass-1"),
                    core.users.update(actor, alice.user_id, {"role": "admin"})):
        with pytest.raises(ApiError) as refused:
            await attempt
        assert refused.value.status == 403, refused.value.message
