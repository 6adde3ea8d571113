"""tokens.ext.cattle.io on the kube face: Rancher 2.13's rules over real HTTP."""

import asyncio
import json

import pytest

from shim.policy import MINUTE_MS

K8S = "/k8s/clusters/local"
TOKENS = f"{K8S}/apis/ext.cattle.io/v1/tokens"
MAX_MS = 129600 * MINUTE_MS
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
MERGE = "application/merge-patch+json"


def manifest(name: str | None = None, **spec) -> dict:
    metadata = {"name": name} if name else {}
    return {"apiVersion": "ext.cattle.io/v1", "kind": "Token", "metadata": metadata,
            "spec": spec}


async def create(api, name=None, **spec) -> dict:
    reply = await api.post(TOKENS, manifest(name, **spec))
    assert reply.status == 201, reply.body
    return reply.body


async def patch(api, name: str, body, ctype: str = MERGE, query: str = ""):
    return await api.request("PATCH", f"{TOKENS}/{name}{query}", data=json.dumps(body),
                             headers={"Content-Type": ctype})


async def test_create_returns_the_token_with_its_bearer_shown_once(api):
    body = await create(api, description="ci bot", ttl=7_200_000)
    name = body["metadata"]["name"]
    assert body["apiVersion"] == "ext.cattle.io/v1" and body["kind"] == "Token"
    assert name.startswith("token-") and len(name) == 11
    status = body["status"]
    assert status["bearerToken"] == f"ext/{api.admin_id}:{name}:{status['value']}"
    assert len(status["value"]) == 54
    assert status["expiresAt"] == "2027-01-15T10:00:00Z" and status["expired"] is False
    assert body["spec"] | {"userPrincipal": None} == {
        "userID": api.admin_id, "kind": "", "description": "ci bot", "ttl": 7_200_000,
        "enabled": True, "userPrincipal": None}
    assert body["spec"]["userPrincipal"]["name"] == f"local://{api.admin_id}"
    assert body["metadata"]["labels"] == {"cattle.io/user-id": api.admin_id,
                                          "authn.management.cattle.io/kind": ""}
    again = (await api.get(f"{TOKENS}/{name}")).body
    assert "value" not in again["status"] and "bearerToken" not in again["status"]
    assert "hash" not in again["status"]
    listed = (await api.get(TOKENS)).body
    assert listed["kind"] == "TokenList"
    assert [t["metadata"]["name"] for t in listed["items"]] == [name]
    assert all("value" not in t["status"] and "hash" not in t["status"] for t in listed["items"])


async def test_ext_bearer_authenticates_every_face_and_plain_form_does_not(api, core):
    body = await create(api)
    bearer = body["status"]["bearerToken"]
    assert (await api.as_(bearer).get("/v3")).status == 200
    assert (await api.as_(bearer).get("/terraform/v1/settings")).status == 200
    whoami = await api.as_(bearer).post(f"{K8S}/apis/authentication.k8s.io/v1/selfsubjectreviews")
    assert whoami.status == 201
    assert (await api.as_(bearer.removeprefix("ext/")).get("/v3")).status == 401
    path = f"{TOKENS}/{body['metadata']['name']}"
    assert (await api.as_(bearer).get(path)).body["status"]["current"] is True
    assert (await api.get(path)).body["status"]["current"] is False
    stored = await core.store.get_token(f"{api.admin_id}:{body['metadata']['name']}")
    assert stored.secret.startswith("$3:")  # always hashed, as Rancher hashes ext tokens


async def test_a_v3_bearer_with_ext_prefix_is_unauthorized(api):
    v3 = await api.new_token()
    assert (await api.as_("ext/" + v3["token"]).get("/v3")).status == 401


async def test_ext_tokens_are_invisible_to_the_v3_and_terraform_faces(api):
    name = (await create(api))["metadata"]["name"]
    assert (await api.get(f"/v3/tokens/{name}")).status == 404
    assert name not in [t["id"] for t in (await api.get("/v3/tokens")).body["data"]]
    assert (await api.get(f"/terraform/v1/tokens/{name}")).status == 404
    assert (await api.get("/terraform/v1/tokens?kind=ext")).body["data"] == []
    assert (await api.delete(f"/v3/tokens/{name}")).status == 404
    assert (await api.get(f"{TOKENS}/{name}")).status == 200


@pytest.mark.parametrize("requested, stored", [
    (None, MAX_MS), (0, MAX_MS), (-5, MAX_MS), (MAX_MS * 2, MAX_MS), (60_000, 60_000)])
async def test_ttl_is_clamped_by_the_max_setting(api, requested, stored):
    spec = {} if requested is None else {"ttl": requested}
    assert (await create(api, **spec))["spec"]["ttl"] == stored


async def test_without_a_max_zero_and_negative_never_expire(api, clock):
    await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "0"})
    zero = await create(api, ttl=0)
    assert zero["spec"]["ttl"] == -1 and zero["status"]["expiresAt"] == ""
    assert (await create(api, ttl=-7))["spec"]["ttl"] == -7
    clock.advance(10 * 365 * 24 * 3600 * 1000)
    assert (await api.as_(zero["status"]["bearerToken"]).get("/v3")).status == 200


async def test_an_expired_token_is_unauthorized_and_shown_expired(api, clock):
    body = await create(api, ttl=60_000)
    clock.advance(61_000)
    assert (await api.as_(body["status"]["bearerToken"]).get("/v3")).status == 401
    shown = (await api.get(f"{TOKENS}/{body['metadata']['name']}")).body
    assert shown["status"]["expired"] is True


async def test_ttl_may_shrink_but_never_grow_not_even_for_admins(api):
    name = (await create(api, ttl=120_000))["metadata"]["name"]
    shorter = await patch(api, name, {"spec": {"ttl": 60_000}})
    assert shorter.status == 200 and shorter.body["spec"]["ttl"] == 60_000
    longer = await patch(api, name, {"spec": {"ttl": 120_000}})
    assert longer.status == 400 and longer.body["reason"] == "BadRequest"
    assert longer.body["message"] == "forbidden to extend time-to-live"
    assert (await api.get(f"{TOKENS}/{name}")).body["spec"]["ttl"] == 60_000


@pytest.mark.parametrize("change, message", [
    ({"metadata": {"uid": "x"}}, "meta.UID is immutable"),
    ({"spec": {"userID": "u-other"}}, "spec.userID is immutable"),
    ({"spec": {"kind": "session"}}, "spec.kind is immutable"),
    ({"spec": {"userPrincipal": {"name": "local://x"}}}, "spec.userprincipal is immutable"),
    ({"spec": {"clusterName": "local"}}, "spec.clusterName is immutable"),
])
async def test_immutable_fields_are_refused_with_rancher_messages(api, change, message):
    name = (await create(api))["metadata"]["name"]
    reply = await patch(api, name, change)
    assert reply.status == 400 and reply.body["message"] == message


async def test_disabling_stops_authentication_everywhere(api):
    body = await create(api)
    name, bearer = body["metadata"]["name"], body["status"]["bearerToken"]
    reply = await patch(api, name, {"spec": {"enabled": False}})
    assert reply.status == 200 and reply.body["spec"]["enabled"] is False
    for path in ("/v3", "/terraform/v1/settings", f"{K8S}/apis"):
        assert (await api.as_(bearer).get(path)).status == 401
    assert (await patch(api, name, {"spec": {"enabled": True}})).status == 200
    assert (await api.as_(bearer).get("/v3")).status == 200


async def test_users_see_and_touch_only_their_own_tokens(api):
    ruth, sam = await api.new_user("ruth"), await api.new_user("sam")
    mine = (await create(ruth))["metadata"]["name"]
    await create(sam)
    assert [t["metadata"]["name"] for t in (await ruth.get(TOKENS)).body["items"]] == [mine]
    leak = await ruth.get(f"{TOKENS}?labelSelector=cattle.io/user-id={sam.user_id}")
    assert leak.status == 200 and leak.body["items"] == []
    for reply in (await sam.get(f"{TOKENS}/{mine}"), await patch(sam, mine, {"spec": {}}),
                  await sam.delete(f"{TOKENS}/{mine}")):
        assert reply.status == 404 and reply.body["reason"] == "NotFound"
        assert reply.body["message"] == f'tokens.ext.cattle.io "{mine}" not found'
        assert reply.body["details"] == {"name": mine, "group": "ext.cattle.io", "kind": "tokens"}
    assert len((await api.get(TOKENS)).body["items"]) == 2  # admins see all


async def test_creating_for_another_user_is_refused_even_for_admins(api):
    ruth = await api.new_user("ruth")
    reply = await api.post(TOKENS, manifest(spec_user := None) | {"spec": {"userID": ruth.user_id}})
    assert spec_user is None
    assert reply.status == 400 and reply.body["message"] == "unable to create token for other user"


async def test_unknown_cluster_is_refused(api):
    reply = await api.post(TOKENS, manifest(clusterName="nowhere"))
    assert reply.status == 400 and reply.body["message"] == "cluster nowhere not found"


async def test_cluster_name_is_enforced_on_authentication(make_api, config):
    api = await make_api(config, clusters=("local", "other"))
    bearer = (await create(api, clusterName="other"))["status"]["bearerToken"]
    whoami = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
    assert (await api.as_(bearer).post(f"{K8S}{whoami}")).status == 401
    assert (await api.as_(bearer).post(f"/k8s/clusters/other{whoami}")).status == 201


async def test_a_named_manifest_is_created_once(api):
    first = await create(api, "ci-deployer", description="ci")
    assert first["metadata"]["name"] == "ci-deployer"
    again = await api.post(TOKENS, manifest("ci-deployer", description="ci"))
    assert again.status == 409 and again.body["reason"] == "AlreadyExists"
    assert len((await api.get(TOKENS)).body["items"]) == 1


async def test_a_bad_name_is_invalid(api):
    reply = await api.post(TOKENS, manifest("Not_A_Name"))
    assert reply.status == 422 and reply.body["reason"] == "Invalid"
    assert reply.body["details"]["causes"][0]["field"] == "metadata.name"


async def test_dry_run_create_stores_nothing_and_shows_no_secret(api):
    reply = await api.post(f"{TOKENS}?dryRun=All", manifest("planned"))
    assert reply.status == 201 and "value" not in reply.body["status"]
    assert (await api.get(f"{TOKENS}/planned")).status == 404


async def test_dry_run_patch_and_delete_change_nothing(api):
    name = (await create(api, description="before"))["metadata"]["name"]
    reply = await patch(api, name, {"spec": {"description": "after"}}, query="?dryRun=All")
    assert reply.status == 200 and reply.body["spec"]["description"] == "after"
    assert (await api.delete(f"{TOKENS}/{name}?dryRun=All")).status == 200
    assert (await api.get(f"{TOKENS}/{name}")).body["spec"]["description"] == "before"


async def test_a_stale_resource_version_is_a_409_conflict(api):
    body = await create(api)
    name, version = body["metadata"]["name"], body["metadata"]["resourceVersion"]
    assert (await patch(api, name, {"spec": {"description": "one"}})).status == 200
    stale = await patch(api, name, {"metadata": {"resourceVersion": version},
                                    "spec": {"description": "two"}})
    assert stale.status == 409 and stale.body["reason"] == "Conflict"
    put = body | {"spec": body["spec"] | {"description": "three"}}
    put["status"] = {}
    assert (await api.put(f"{TOKENS}/{name}", put)).status == 409


async def test_using_a_token_leaves_its_resource_version_alone(api, clock):
    body = await create(api)
    name = body["metadata"]["name"]
    clock.advance(5000)
    assert (await api.as_(body["status"]["bearerToken"]).get("/v3")).status == 200
    shown = (await api.get(f"{TOKENS}/{name}")).body
    assert shown["metadata"]["resourceVersion"] == body["metadata"]["resourceVersion"]
    assert shown["status"]["lastUsedAt"] == "2027-01-15T08:00:05Z"


async def test_an_unchanged_patch_writes_nothing(api):
    body = await create(api, description="same")
    reply = await patch(api, body["metadata"]["name"], {"spec": {"description": "same"}})
    assert reply.body["metadata"]["resourceVersion"] == body["metadata"]["resourceVersion"]
    assert reply.body["status"]["lastUpdateTime"] == body["status"]["lastUpdateTime"]


async def test_json_patch_and_strategic_merge_patch_are_accepted(api):
    name = (await create(api))["metadata"]["name"]
    ops = [{"op": "add", "path": "/spec/description", "value": "json"}]
    reply = await patch(api, name, ops, "application/json-patch+json")
    assert reply.status == 200 and reply.body["spec"]["description"] == "json"
    smp = {"spec": {"description": "smp"}, "metadata": {"$retainKeys": ["labels"]}}
    reply = await patch(api, name, smp, "application/strategic-merge-patch+json")
    assert reply.status == 200 and reply.body["spec"]["description"] == "smp"
    reply = await api.request("PATCH", f"{TOKENS}/{name}", data="{}",
                              headers={"Content-Type": "text/plain"})
    assert reply.status == 415 and reply.body["reason"] == "UnsupportedMediaType"


async def test_labels_and_annotations_are_kept_and_system_labels_cannot_be_forged(api):
    ruth = await api.new_user("ruth")
    body = manifest("labelled")
    body["metadata"] |= {"labels": {"team": "ci", "cattle.io/user-id": "someone-else"},
                         "annotations": {"note": "x"}}
    made = (await ruth.post(TOKENS, body)).body
    assert made["metadata"]["labels"] == {"team": "ci", "cattle.io/user-id": ruth.user_id,
                                          "authn.management.cattle.io/kind": ""}
    assert made["metadata"]["annotations"] == {"note": "x"}
    found = await ruth.get(f"{TOKENS}?labelSelector=team%3Dci,!missing")
    assert [t["metadata"]["name"] for t in found.body["items"]] == ["labelled"]
    assert (await ruth.get(f"{TOKENS}?labelSelector=team%3Dother")).body["items"] == []
    by_name = await ruth.get(f"{TOKENS}?fieldSelector=metadata.name%3Dlabelled")
    assert len(by_name.body["items"]) == 1


async def test_unknown_fields_are_a_strict_decoding_error(api):
    reply = await api.post(f"{TOKENS}?fieldValidation=Strict", manifest(foo=1))
    assert reply.status == 400 and "strict decoding error" in reply.body["message"]
    assert "foo" in reply.body["message"]


async def test_without_strict_validation_unknown_fields_are_dropped(api):
    reply = await api.post(f"{TOKENS}?fieldValidation=Ignore", manifest(foo=1, description="d"))
    assert reply.status == 201 and "foo" not in reply.body["spec"]
    assert "Warning" not in reply.headers
    warned = await api.post(f"{TOKENS}?fieldValidation=Warn", manifest(bar=1))
    assert warned.status == 201
    assert warned.headers["Warning"] == '299 - "unknown field \\"spec.bar\\""'
    assert (await api.post(TOKENS, manifest(description=5))).status == 400


async def test_list_as_table_has_rancher_columns(api, clock):
    await create(api, "tabled", description="example")
    clock.advance(24_000)
    reply = await api.get(TOKENS, headers={"Accept": TABLE})
    table = reply.body
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "User", "Kind", "TTL", "Age", "Description"]
    assert [c["priority"] for c in table["columnDefinitions"]] == [0, 1, 0, 0, 0, 1]
    assert table["rows"][0]["cells"] == ["tabled", api.admin_id, "", "90d", "24s", "example"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


async def test_delete_returns_the_token_then_it_is_gone(api):
    body = await create(api)
    name, bearer = body["metadata"]["name"], body["status"]["bearerToken"]
    reply = await api.delete(f"{TOKENS}/{name}")
    assert reply.status == 200 and reply.body["metadata"]["name"] == name
    assert (await api.get(f"{TOKENS}/{name}")).status == 404
    assert (await api.as_(bearer).get("/v3")).status == 401


async def test_delete_collection_is_for_admins_only(api):
    ruth = await api.new_user("ruth")
    await create(ruth, "r1")
    refused = await ruth.delete(TOKENS)
    assert refused.status == 403 and refused.body["reason"] == "Forbidden"
    await create(api, "a1")
    r1 = f"{ruth.user_id}:r1"  # how an admin names another user's token
    deleted = await api.delete(f"{TOKENS}?fieldSelector=metadata.name%3D{r1}")
    assert [t["metadata"]["name"] for t in deleted.body["items"]] == [r1]
    assert [t["metadata"]["name"] for t in (await api.get(TOKENS)).body["items"]] == ["a1"]


async def watch_events(api, query: str, count: int, during=None) -> list[tuple[str, str]]:
    """The first `count` events of a watch, as (type, name); `during` runs once it is open."""
    headers = {"Authorization": f"Bearer {api.bearer}"}
    async with api.client.get(f"{TOKENS}?watch=true&{query}", headers=headers) as response:
        assert response.status == 200
        if during is not None:
            await during()
        events = []
        async with asyncio.timeout(10):
            while len(events) < count:
                event = json.loads(await response.content.readline())
                events.append((event["type"], event["object"]["metadata"]["name"]))
        return events


async def test_a_watch_starts_with_what_exists_then_follows_changes(api):
    await create(api, "before")

    async def change():
        await create(api, "during")
        await patch(api, "during", {"spec": {"description": "changed"}})
        await api.delete(f"{TOKENS}/before")

    events = await watch_events(api, "", 4, change)
    assert events == [("ADDED", "before"), ("ADDED", "during"), ("MODIFIED", "during"),
                      ("DELETED", "before")]


async def test_a_watch_from_a_resource_version_sends_only_later_changes(api):
    await create(api, "old")
    events = await watch_events(api, "resourceVersion=1", 1, lambda: create(api, "new"))
    assert events == [("ADDED", "new")]


async def test_a_watch_ends_at_its_timeout(api):
    headers = {"Authorization": f"Bearer {api.bearer}"}
    async with api.client.get(f"{TOKENS}?watch=true&timeoutSeconds=1",
                              headers=headers) as response:
        async with asyncio.timeout(10):
            assert await response.read() == b""


async def test_expired_ext_tokens_are_purged(api, core, clock):
    name = (await create(api, ttl=60_000))["metadata"]["name"]
    assert await core.store.get_token(f"{api.admin_id}:{name}") is not None
    clock.advance(61_000)
    assert await core.tokens.purge(clock(), 100) >= 1
    assert await core.store.get_token(f"{api.admin_id}:{name}") is None


async def test_writes_are_audited_without_secrets(make_api, config, tmp_path):
    api = await make_api(config, audit_log=str(tmp_path / "audit.log"))
    body = await create(api, "audited")
    await patch(api, "audited", {"spec": {"description": "x"}})
    await api.delete(f"{TOKENS}/audited")
    lines = [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
    events = [(e["event"], e["target"], e["outcome"]) for e in lines if e.get("face") == "kube"]
    assert events == [("token.create", "audited", "success"),
                      ("token.patch", "audited", "success"),
                      ("token.delete", "audited", "success")]
    assert body["status"]["value"] not in json.dumps(lines)


async def test_ext_tokens_are_counted_by_kind_in_metrics(api):
    await create(api)
    text = (await api.get("/metrics")).body
    assert 'token_shim_tokens{expired="false",kind="ext"} 1.0' in text


async def test_the_same_rules_hold_on_postgresql(make_api, config, pg_server):
    api = await make_api(config, db=pg_server.create_database())
    body = await create(api, "pg-token", ttl=60_000)
    assert (await api.as_(body["status"]["bearerToken"]).get("/v3")).status == 200
    assert (await api.get("/v3/tokens")).body["data"][0]["id"] != "pg-token"
    assert (await patch(api, "pg-token", {"spec": {"ttl": 120_000}})).status == 400
    listed = await api.get(f"{TOKENS}?labelSelector=cattle.io/user-id%3D{api.admin_id}")
    assert [t["metadata"]["name"] for t in listed.body["items"]] == ["pg-token"]
    assert (await api.delete(f"{TOKENS}/pg-token")).status == 200
    assert (await api.get(f"{TOKENS}/pg-token")).status == 404


async def test_dry_run_in_delete_options_deletes_nothing(api):
    """kubectl delete --dry-run=server puts dryRun in the DeleteOptions body, not the query."""
    name = (await create(api))["metadata"]["name"]
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["All"]}
    reply = await api.request("DELETE", f"{TOKENS}/{name}", json=options)
    assert reply.status == 200 and reply.body["metadata"]["name"] == name
    assert (await api.get(f"{TOKENS}/{name}")).status == 200
    assert (await api.request("DELETE", TOKENS, json=options)).status == 200
    assert (await api.get(f"{TOKENS}/{name}")).status == 200


async def test_labels_must_be_strings(api):
    body = manifest("typed")
    body["metadata"]["labels"] = {"n": 5}
    reply = await api.post(TOKENS, body)
    assert reply.status == 400 and "metadata.labels.n" in reply.body["message"]
