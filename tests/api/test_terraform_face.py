"""The Terraform face's convergence contract, checked over HTTP."""

import pytest

from shim.policy import MINUTE_MS
from shim.settings_catalog import SETTINGS

TF = "/terraform/v1"
MAX = "auth-token-max-ttl-minutes"
MAX_MS = 129600 * MINUTE_MS


async def test_post_returns_id_token_and_effective_values(api):
    reply = await api.post(f"{TF}/tokens", {"description": "ci", "ttl": MAX_MS * 2})
    body = reply.body
    assert reply.status == 201
    assert isinstance(body["id"], str) and body["token"].startswith(body["id"] + ":")
    assert body["ttl"] == MAX_MS and body["userId"] == api.admin_id and body["expiresAt"]
    assert body["description"] == "ci"
    assert (await api.as_(body["token"]).get("/v3")).status == 200


async def test_get_echoes_exactly_what_was_written(api):
    doc = {"description": "ci", "ttl": MAX_MS * 2, "enabled": True}
    created = (await api.post(f"{TF}/tokens", doc)).body
    reply = await api.get(f"{TF}/tokens/{created['id']}")
    assert reply.status == 200 and reply.body == doc


async def test_echo_keeps_only_written_keys(api):
    created = (await api.post(f"{TF}/tokens", {"description": "only"})).body
    assert (await api.get(f"{TF}/tokens/{created['id']}")).body == {"description": "only"}


async def test_v3_change_shows_as_drift_on_the_echo(api):
    created = (await api.post(f"{TF}/tokens", {"description": "a", "enabled": True})).body
    await api.put(f"/v3/tokens/{created['id']}", {"description": "changed", "enabled": False})
    echo = (await api.get(f"{TF}/tokens/{created['id']}")).body
    assert echo == {"description": "changed", "enabled": False}


async def test_put_same_document_twice_writes_nothing(api, core):
    created = (await api.post(f"{TF}/tokens", {"description": "a", "ttl": 60_000})).body
    doc = {"description": "b", "ttl": 60_000}
    first = await api.put(f"{TF}/tokens/{created['id']}", doc)
    assert first.status == 200 and first.body == doc
    version = (await core.store.get_token(created["id"])).version
    assert (await api.put(f"{TF}/tokens/{created['id']}", doc)).body == doc
    assert (await core.store.get_token(created["id"])).version == version


async def test_immutable_change_is_422_pointing_at_force_new(api):
    created = (await api.post(f"{TF}/tokens", {"description": "a"})).body
    reply = await api.put(f"{TF}/tokens/{created['id']}", {"clusterId": "local"})
    assert reply.status == 422
    assert "clusterId" in reply.body["message"] and "force_new" in reply.body["message"]
    assert reply.body["details"][0]["field"] == "clusterId"


async def test_missing_token_is_plain_404_and_delete_is_idempotent(api):
    reply = await api.get(f"{TF}/tokens/token-zzzzz")
    assert reply.status == 404 and reply.body["status"] == 404
    assert (await api.delete(f"{TF}/tokens/token-zzzzz")).status == 204


async def test_unknown_fields_are_rejected_with_the_field_named(api):
    reply = await api.post(f"{TF}/tokens", {"descripton": "typo"})
    assert reply.status == 422 and reply.body["details"][0]["field"] == "descripton"


async def test_search_by_description_returns_data_with_ids(api):
    a = (await api.post(f"{TF}/tokens", {"description": "find-me"})).body
    await api.post(f"{TF}/tokens", {"description": "not-me"})
    body = (await api.get(f"{TF}/tokens?description=find-me")).body
    assert body == {"data": [{"description": "find-me", "id": a["id"]}]}


@pytest.mark.parametrize("value", ["43200", 43200])
async def test_setting_upsert_echoes_value_in_written_type(api, value):
    doc = {"name": MAX, "value": value}
    reply = await api.put(f"{TF}/settings/{MAX}", doc)
    assert reply.status == 200 and reply.body == doc
    assert (await api.get(f"{TF}/settings/{MAX}")).body == doc
    assert (await api.get(f"/v3/settings/{MAX}")).body["value"] == "43200"


async def test_boolean_setting_echoes_boolean(api):
    doc = {"name": "kubeconfig-generate-token", "value": False}
    await api.put(f"{TF}/settings/kubeconfig-generate-token", doc)
    assert (await api.get(f"{TF}/settings/kubeconfig-generate-token")).body == doc


async def test_v3_setting_change_shows_as_drift_in_written_type(api):
    await api.put(f"{TF}/settings/{MAX}", {"name": MAX, "value": 43200})
    await api.put(f"/v3/settings/{MAX}", {"value": "600"})
    assert (await api.get(f"{TF}/settings/{MAX}")).body == {"name": MAX, "value": 600}


async def test_setting_delete_resets_default_and_is_idempotent(api):
    await api.put(f"{TF}/settings/{MAX}", {"name": MAX, "value": "60"})
    assert (await api.delete(f"{TF}/settings/{MAX}")).status == 204
    assert (await api.delete(f"{TF}/settings/{MAX}")).status == 204
    assert (await api.get(f"/v3/settings/{MAX}")).body["source"] == "default"
    assert (await api.get(f"{TF}/settings/{MAX}")).body == {"name": MAX, "value": "129600"}


async def test_setting_name_must_match_path(api):
    reply = await api.put(f"{TF}/settings/{MAX}", {"name": "other", "value": "1"})
    assert reply.status == 422 and reply.body["details"][0]["field"] == "name"


async def test_invalid_setting_value_is_422_and_writes_nothing(api):
    reply = await api.put(f"{TF}/settings/{MAX}", {"name": MAX, "value": -5})
    assert reply.status == 422 and MAX in reply.body["message"] and "-5" in reply.body["message"]
    assert (await api.get(f"/v3/settings/{MAX}")).body["source"] == "default"


async def test_token_policy_applies_all_settings_atomically(api):
    doc = {"name": "default", "auth-user-session-ttl-minutes": 30,
           "auth-user-session-idle-ttl-minutes": 20, "auth-token-max-ttl-minutes": "600",
           "kubeconfig-default-token-ttl-minutes": 60, "kubeconfig-generate-token": True}
    reply = await api.put(f"{TF}/token-policies/default", doc)
    assert reply.status == 200 and reply.body == doc
    assert (await api.get(f"{TF}/token-policies/default")).body == doc
    values = {s["id"]: s["value"] for s in (await api.get("/v3/settings")).body["data"]}
    assert values["auth-user-session-ttl-minutes"] == "30" and values[MAX] == "600"


async def test_invalid_token_policy_changes_nothing(api):
    doc = {"name": "default", "auth-user-session-ttl-minutes": 30,
           "auth-user-session-idle-ttl-minutes": 60, "auth-token-max-ttl-minutes": 5}
    reply = await api.put(f"{TF}/token-policies/default", doc)
    assert reply.status == 422
    values = {s["id"]: s["source"] for s in (await api.get("/v3/settings")).body["data"]
              if s["id"] in SETTINGS}
    assert set(values.values()) == {"default"}


async def test_token_policy_delete_resets_all_five(api):
    await api.put(f"{TF}/token-policies/default", {"name": "default", MAX: 60})
    assert (await api.delete(f"{TF}/token-policies/default")).status == 204
    values = {s["id"]: s["source"] for s in (await api.get("/v3/settings")).body["data"]
              if s["id"] in SETTINGS}
    assert set(values.values()) == {"default"}


async def test_only_one_token_policy_exists(api):
    reply = await api.put(f"{TF}/token-policies/other", {"name": "default", MAX: 60})
    assert reply.status == 404


async def test_service_account_and_token_for_it(api):
    user = (await api.post(f"{TF}/users", {"username": "ci-bot", "name": "CI"})).body
    assert user["username"] == "ci-bot" and user["id"].startswith("user-")
    assert (await api.get(f"{TF}/users/{user['id']}")).body == {"username": "ci-bot", "name": "CI"}
    token = (await api.post(f"{TF}/tokens", {"userId": user["id"], "ttl": 60_000})).body
    whoami = await api.as_(token["token"]).get("/v3")
    assert whoami.body["userId"] == user["id"]
    assert (await api.login("ci-bot", "")).status == 401  # a service account has no password


async def test_non_admin_cannot_write_settings_on_terraform_face(api):
    user = await api.new_user("uma")
    reply = await user.put(f"{TF}/settings/{MAX}", {"name": MAX, "value": 1})
    assert reply.status == 403 and reply.body["code"] == "PermissionDenied"


async def test_terraform_errors_have_one_shape(api):
    for reply in (await api.get(f"{TF}/tokens/token-zzzzz"),
                  await api.post(f"{TF}/tokens", {"ttl": -1}),
                  await api.as_(None).get(f"{TF}/tokens")):
        assert set(reply.body) >= {"status", "code", "message"}
        assert reply.body["status"] == reply.status
