"""The Steve (/v1) subset Rancher's dashboard reads, in Rancher's shapes, over real HTTP."""

import pytest

SETTINGS = "/v1/management.cattle.io.settings"
MAX = "auth-token-max-ttl-minutes"


async def test_anonymous_callers_see_only_the_public_settings(api):
    reply = await api.as_(None).get(f"{SETTINGS}?exclude=metadata.managedFields")
    assert reply.status == 200 and reply.headers["X-API-Cattle-Auth"] == "false"
    shown = {s["id"]: s["value"] for s in reply.body["data"]}
    assert shown["first-login"] == "false" and shown["ui-banners"] == "{}"
    assert MAX not in shown and "server-url" not in shown
    assert reply.body["createTypes"] == {}


async def test_a_dead_session_cookie_reads_the_public_settings_as_anonymous(api):
    reply = await api.as_("token-gone:secret").get(SETTINGS)
    assert reply.status == 200 and reply.headers["X-API-Cattle-Auth"] == "false"


async def test_logged_in_callers_see_every_setting_in_steves_shape(api):
    reply = await api.get(SETTINGS)
    assert reply.headers["X-API-Cattle-Auth"] == "true"
    assert reply.headers["X-Api-Schemas"].endswith("/v1/schemas")
    assert reply.body["type"] == "collection" and reply.body["revision"]
    setting = {s["id"]: s for s in reply.body["data"]}[MAX]
    assert setting["type"] == "management.cattle.io.setting"
    assert setting["value"] == "129600" and setting["default"] == "129600"
    assert setting["links"]["update"].endswith(f"{SETTINGS}/{MAX}")
    assert setting["metadata"]["name"] == MAX


async def test_limit_and_continue_page_through_a_collection(api):
    first = (await api.get(f"{SETTINGS}?limit=3")).body
    assert len(first["data"]) == 3 and first["pagination"]["partial"] is True
    ids = [s["id"] for s in first["data"]]
    page = first
    while "continue" in page:
        next_url = page["pagination"]["next"]  # absolute, as Steve gives it
        page = (await api.get("/" + next_url.split("/", 3)[3])).body
        ids += [s["id"] for s in page["data"]]
    everything = [s["id"] for s in (await api.get(SETTINGS)).body["data"]]
    assert ids == everything


async def test_a_setting_write_takes_the_same_rules_as_every_face(api):
    url = f"{SETTINGS}/{MAX}"
    current = (await api.get(url)).body
    ok = await api.put(url, current | {"value": "60"})
    assert ok.status == 200 and ok.body["value"] == "60"
    assert (await api.get(f"/v3/settings/{MAX}")).body["value"] == "60"
    bad = await api.put(url, current | {"value": "-5"})
    assert bad.status == 422 and MAX in bad.body["message"]
    assert (await api.put(f"{SETTINGS}/ui-pl", {"value": "x"})).status == 405  # not served
    ruth = await api.new_user("ruth")
    assert (await ruth.put(url, {"value": "61"})).status == 403
    assert "update" not in (await ruth.get(url)).body["links"]


async def test_a_read_only_setting_is_refused(api):
    assert (await api.put(f"{SETTINGS}/server-version", {"value": "x"})).status == 405


async def test_schemas_tell_the_dashboard_it_talks_to_rancher(api):
    schemas = {s["id"]: s for s in (await api.get("/v1/schemas")).body["data"]}
    assert {"management.cattle.io.project", "management.cattle.io.cluster",
            "management.cattle.io.setting", "ext.cattle.io.token"} <= set(schemas)
    cluster = schemas["management.cattle.io.cluster"]
    assert cluster["links"]["collection"].endswith("/v1/management.cattle.io.clusters")
    assert cluster["attributes"]["kind"] == "Cluster"
    selfuser = schemas["ext.cattle.io.selfuser"]
    assert selfuser["collectionMethods"] == ["POST"] and "collection" not in selfuser["links"]
    one = await api.get("/v1/schemas/management.cattle.io.setting")
    assert one.body["resourceMethods"] == ["GET", "PUT"]
    ruth = await api.new_user("ruth")
    theirs = (await ruth.get("/v1/schemas/management.cattle.io.setting")).body
    assert theirs["resourceMethods"] == ["GET"]


async def test_clusters_users_features_and_counts(api):
    clusters = (await api.get("/v1/management.cattle.io.clusters")).body["data"]
    assert [c["id"] for c in clusters] == ["local"]
    ruth = await api.new_user("ruth")
    users = (await ruth.get("/v1/management.cattle.io.users")).body["data"]
    assert [u["username"] for u in users] == ["ruth"]
    assert len((await api.get("/v1/management.cattle.io.users")).body["data"]) == 2
    features = (await api.get("/v1/management.cattle.io.features")).body["data"]
    assert features[0]["id"] == "token-hashing"
    counts = (await api.get("/v1/counts")).body["data"][0]["counts"]
    assert counts["management.cattle.io.cluster"]["summary"]["count"] == 1
    assert (await api.as_(None).get("/v1/management.cattle.io.clusters")).status == 401


async def test_selfuser_names_the_caller(api):
    reply = await api.post("/v1/ext.cattle.io.selfusers", {})
    assert reply.status == 201 and reply.body["status"]["userID"] == api.admin_id


async def test_ext_tokens_on_v1_are_the_kube_faces_tokens(api):
    made = await api.post("/v1/ext.cattle.io.tokens", {
        "apiVersion": "ext.cattle.io/v1", "kind": "Token", "metadata": {"name": "x"},
        "spec": {"description": "from v1", "ttl": 3_600_000}})
    assert made.status == 201
    name, bearer = made.body["id"], made.body["status"]["bearerToken"]
    assert bearer.startswith(f"ext/{api.admin_id}:{name}:") and made.body["type"] == "ext.cattle.io.token"
    assert (await api.as_(bearer).get("/v3")).status == 200
    kube = await api.get(f"/k8s/clusters/local/apis/ext.cattle.io/v1/tokens/{name}")
    assert kube.body["spec"]["description"] == "from v1"
    listed = (await api.get("/v1/ext.cattle.io.tokens")).body
    assert [t["id"] for t in listed["data"]] == [name]
    assert "bearerToken" not in listed["data"][0]["status"]
    assert "ext.cattle.io.token" in listed["createTypes"]
    assert (await api.delete(f"/v1/ext.cattle.io.tokens/{name}")).status == 200
    assert (await api.as_(bearer).get("/v3")).status == 401


async def test_userpreferences_are_stored_per_user(api):
    prefs = (await api.get("/v1/userpreferences")).body["data"]
    assert prefs[0]["id"] == api.admin_id and prefs[0]["data"] == {}
    saved = await api.put(f"/v1/userpreferences/{api.admin_id}",
                          {"type": "userpreference", "data": {"theme": '"ui-dark"'}})
    assert saved.status == 200 and saved.body["data"] == {"theme": '"ui-dark"'}
    ruth = await api.new_user("ruth")
    assert (await ruth.get("/v1/userpreferences")).body["data"][0]["data"] == {}
    assert (await ruth.put(f"/v1/userpreferences/{api.admin_id}", {"data": {}})).status == 404
    bad = await api.put(f"/v1/userpreferences/{api.admin_id}", {"data": {"x": {"y": 1}}})
    assert bad.status == 422


async def test_the_dashboards_version_and_plugin_endpoints_need_no_login(api):
    anonymous = api.as_(None)
    assert (await anonymous.get("/rancherversion")).body["Version"] == "v2.13.0"
    assert (await anonymous.get("/version")).body["gitVersion"].startswith("v1.")
    assert (await anonymous.get("/v1/uiplugins")).body["entries"] == {}


async def test_v3_principals_and_users_me(api):
    principals = (await api.get("/v3/principals")).body["data"]
    assert len(principals) == 1 and principals[0]["me"] is True
    assert principals[0]["id"] == f"local://{api.admin_id}"
    await api.new_user("ruth")
    me = (await api.get("/v3/users?me=true")).body["data"]
    assert [u["id"] for u in me] == [api.admin_id]
    assert (await api.as_(None).get("/v3/principals")).status == 401


@pytest.mark.parametrize("path", ["/v1/authenticate", "/v1/subscribe", "/v1/schemas"])
async def test_steves_type_routes_leave_other_v1_paths_free(api, path):
    resources = api.client.server.app.router.resources()
    takers = [r.canonical for r in resources
              if r.canonical.startswith("/v1/{type}") and r._match(path) is not None]
    assert takers == []


async def test_v1_writes_are_audited_like_the_other_faces(make_api, config, tmp_path):
    log = tmp_path / "audit.log"
    api = await make_api(config, audit_log=str(log))
    await api.put(f"{SETTINGS}/{MAX}", {"value": "60"})
    await api.put(f"{SETTINGS}/{MAX}", {"value": "-1"})
    made = (await api.post("/v1/ext.cattle.io.tokens", {"spec": {}})).body
    lines = log.read_text()
    assert f'"event":"setting.update","actor":"{api.admin_id}"' in lines
    assert '"target":"auth-token-max-ttl-minutes","outcome":"failure"' in lines
    assert f'"event":"token.create","actor":"{api.admin_id}"' in lines and made["id"] in lines
    assert made["status"]["bearerToken"].rsplit(":", 1)[1] not in lines
