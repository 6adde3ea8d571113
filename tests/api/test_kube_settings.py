"""settings and features.management.cattle.io on the kube face, over real HTTP."""

import json

K8S = "/k8s/clusters/local"
SETTINGS = f"{K8S}/apis/management.cattle.io/v3/settings"
FEATURES = f"{K8S}/apis/management.cattle.io/v3/features"
MAX = "auth-token-max-ttl-minutes"
IDLE = "auth-user-session-idle-ttl-minutes"
MERGE = "application/merge-patch+json"


async def patch(api, path: str, body, query: str = ""):
    return await api.request("PATCH", f"{path}{query}", data=json.dumps(body),
                             headers={"Content-Type": MERGE})


async def test_settings_are_listed_with_value_default_and_source(api):
    reply = await api.get(SETTINGS)
    assert reply.body["kind"] == "SettingList"
    found = {s["metadata"]["name"]: s for s in reply.body["items"]}
    assert len(found) == 5
    assert found[MAX] | {"metadata": None} == {
        "apiVersion": "management.cattle.io/v3", "kind": "Setting", "metadata": None,
        "value": "", "default": "129600", "customized": False, "source": "default"}


async def test_a_patch_writes_through_the_same_validation_as_every_face(api):
    reply = await patch(api, f"{SETTINGS}/{MAX}", {"value": "60"})
    assert reply.status == 200 and reply.body["value"] == "60" and reply.body["source"] == "db"
    assert (await api.get(f"/v3/settings/{MAX}")).body["value"] == "60"
    bad = await patch(api, f"{SETTINGS}/{MAX}", {"value": "-5"})
    assert bad.status == 422 and bad.body["reason"] == "Invalid"
    cause = bad.body["details"]["causes"][0]
    assert cause["field"] == "value" and "whole number of minutes" in cause["message"]
    assert bad.body["details"]["kind"] == "Setting" and bad.body["details"]["name"] == MAX
    assert (await api.get(f"/v3/settings/{MAX}")).body["value"] == "60"


async def test_cross_rule_idle_above_session_is_invalid_and_changes_nothing(api):
    reply = await patch(api, f"{SETTINGS}/{IDLE}", {"value": "999999"})
    assert reply.status == 422 and "can't be greater than" in reply.body["message"]
    assert (await api.get(f"{SETTINGS}/{IDLE}")).body["source"] == "default"


async def test_an_empty_value_resets_to_the_default(api):
    await patch(api, f"{SETTINGS}/{MAX}", {"value": "60"})
    reply = await patch(api, f"{SETTINGS}/{MAX}", {"value": ""})
    assert reply.body["value"] == "" and reply.body["source"] == "default"
    assert (await api.get(f"/v3/settings/{MAX}")).body["value"] == "129600"


async def test_pinned_settings_refuse_writes_naming_the_reason(make_api, config):
    api = await make_api(config, pinned_settings={MAX: "100"})
    shown = (await api.get(f"{SETTINGS}/{MAX}")).body
    assert shown["value"] == "100" and shown["source"] == "env"
    reply = await patch(api, f"{SETTINGS}/{MAX}", {"value": "60"})
    assert reply.status == 403 and reply.body["reason"] == "Forbidden"
    assert "environment variable" in reply.body["message"]


async def test_users_read_settings_but_only_admins_write(api):
    ruth = await api.new_user("ruth")
    assert (await ruth.get(f"{SETTINGS}/{MAX}")).status == 200
    reply = await patch(ruth, f"{SETTINGS}/{MAX}", {"value": "60"})
    assert reply.status == 403 and reply.body["reason"] == "Forbidden"


async def test_annotations_are_kept_and_an_unchanged_write_bumps_nothing(api):
    body = {"metadata": {"annotations": {"last": "x"}}, "value": "60"}
    first = (await patch(api, f"{SETTINGS}/{MAX}", body)).body
    assert first["metadata"]["annotations"] == {"last": "x"}
    again = (await patch(api, f"{SETTINGS}/{MAX}", body)).body
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    stale = await patch(api, f"{SETTINGS}/{MAX}", {"metadata": {"resourceVersion": "0.0"},
                                                  "value": "61"})
    assert stale.status == 409 and stale.body["reason"] == "Conflict"


async def test_dry_run_validates_and_writes_nothing(api):
    reply = await patch(api, f"{SETTINGS}/{MAX}", {"value": "61"}, "?dryRun=All")
    assert reply.status == 200 and reply.body["value"] == "61"
    assert (await api.get(f"{SETTINGS}/{MAX}")).body["value"] == ""
    bad = await patch(api, f"{SETTINGS}/{MAX}", {"value": "x"}, "?dryRun=All")
    assert bad.status == 422


async def test_unknown_settings_are_not_found_and_cannot_be_created(api):
    assert (await api.get(f"{SETTINGS}/server-url")).status == 404
    made = await api.post(SETTINGS, {"apiVersion": "management.cattle.io/v3", "kind": "Setting",
                                     "metadata": {"name": "server-url"}, "value": "x"})
    assert made.status == 403
    again = await api.post(SETTINGS, {"metadata": {"name": MAX}, "value": "1"})
    assert again.status == 409 and again.body["reason"] == "AlreadyExists"


async def test_token_hashing_feature_turns_on_and_is_then_locked(make_api, config):
    api = await make_api(config, token_hashing_default=False)
    shown = (await api.get(f"{FEATURES}/token-hashing")).body
    assert shown["spec"]["value"] is None and shown["status"]["lockedValue"] is None
    on = await patch(api, f"{FEATURES}/token-hashing", {"spec": {"value": True}})
    assert on.status == 200 and on.body["status"]["lockedValue"] is True
    off = await patch(api, f"{FEATURES}/token-hashing", {"spec": {"value": False}})
    assert off.status == 422 and off.body["reason"] == "Invalid"
    assert "locked" in off.body["details"]["causes"][0]["message"]
    assert (await api.get("/v3/features/token-hashing")).body["value"] is True


async def test_openapi_v3_declares_field_validation_on_patch(api):
    root = (await api.get(f"{K8S}/openapi/v3")).body
    url = root["paths"]["apis/ext.cattle.io/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/ext.cattle.io/v1?hash=")
    doc = (await api.get(K8S + url)).body
    patch_op = doc["paths"]["/apis/ext.cattle.io/v1/tokens/{name}"]["patch"]
    assert "fieldValidation" in [p["name"] for p in patch_op["parameters"]]
    assert patch_op["x-kubernetes-group-version-kind"] == {
        "group": "ext.cattle.io", "version": "v1", "kind": "Token"}
    token = doc["components"]["schemas"]["io.cattle.ext.v1.Token"]
    assert token["x-kubernetes-group-version-kind"] == [
        {"group": "ext.cattle.io", "version": "v1", "kind": "Token"}]
    spec = doc["components"]["schemas"]["io.cattle.ext.v1.TokenSpec"]
    assert spec["properties"]["enabled"] == {**spec["properties"]["enabled"], "type": "boolean",
                                             "nullable": True}
    management = root["paths"]["apis/management.cattle.io/v3"]["serverRelativeURL"]
    schemas = (await api.get(K8S + management)).body["components"]["schemas"]
    assert {"io.cattle.management.v3.Setting", "io.cattle.management.v3.Feature"} <= set(schemas)


async def test_settings_and_their_annotations_on_postgresql(make_api, config, pg_server):
    api = await make_api(config, db=pg_server.create_database())
    body = {"metadata": {"annotations": {"last": "x"}}, "value": "60"}
    first = (await patch(api, f"{SETTINGS}/{MAX}", body)).body
    assert first["value"] == "60" and first["metadata"]["annotations"] == {"last": "x"}
    again = (await patch(api, f"{SETTINGS}/{MAX}", body)).body
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    listed = {s["metadata"]["name"]: s for s in (await api.get(SETTINGS)).body["items"]}
    assert listed[MAX]["metadata"]["annotations"] == {"last": "x"}


async def test_a_dry_run_write_to_a_pinned_setting_is_refused_like_a_real_one(make_api, config):
    api = await make_api(config, pinned_settings={MAX: "100", IDLE: "50"})
    for name, value in ((MAX, "60"), (MAX, ""), (IDLE, ""), (IDLE, "40")):
        real = await patch(api, f"{SETTINGS}/{name}", {"value": value})
        dry = await patch(api, f"{SETTINGS}/{name}", {"value": value}, "?dryRun=All")
        assert (dry.status, dry.body["reason"]) == (real.status, real.body["reason"]) == (
            403, "Forbidden"), (name, value)
        assert "environment variable" in dry.body["message"]


async def test_an_idle_reset_is_allowed_while_the_session_ttl_is_below_its_default(api):
    assert (await patch(api, f"{SETTINGS}/{IDLE}", {"value": "50"})).status == 200
    assert (await patch(api, f"{SETTINGS}/auth-user-session-ttl-minutes",
                        {"value": "100"})).status == 200
    dry = await patch(api, f"{SETTINGS}/{IDLE}", {"value": ""}, "?dryRun=All")
    assert dry.status == 200 and dry.body["source"] == "default"
    reply = await patch(api, f"{SETTINGS}/{IDLE}", {"value": ""})
    assert reply.status == 200 and reply.body["source"] == "default"
    assert (await api.get(f"/v3/settings/{IDLE}")).body["value"] == "960"
