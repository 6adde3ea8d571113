"""/v3/settings: Rancher's shape, validation, cross rules, pins, reset."""

import pytest

from shim.settings_catalog import SETTINGS

MAX = "auth-token-max-ttl-minutes"
SESSION = "auth-user-session-ttl-minutes"
IDLE = "auth-user-session-idle-ttl-minutes"


async def test_list_has_the_five_settings_with_defaults(api):
    reply = await api.get("/v3/settings")
    values = {s["id"]: s["value"] for s in reply.body["data"]}
    assert values == values | SETTINGS  # plus the read-only ones (test_norman_settings.py)
    assert reply.body["type"] == "collection" and reply.body["resourceType"] == "setting"


async def test_default_setting_shape(api):
    body = (await api.get(f"/v3/settings/{MAX}")).body
    assert body == body | {"id": MAX, "name": MAX, "type": "setting", "value": "129600",
                           "default": "129600", "customized": False, "source": "default"}


async def test_put_stores_value_as_customized_db_setting(api):
    reply = await api.put(f"/v3/settings/{MAX}", {"value": "600"})
    assert reply.status == 200
    body = (await api.get(f"/v3/settings/{MAX}")).body
    assert (body["value"], body["customized"], body["source"]) == ("600", True, "db")


@pytest.mark.parametrize("name,value", [
    (MAX, "-1"), (MAX, "abc"), (MAX, "1.5"), (MAX, " 5"), (MAX, "9999999999"),
    (SESSION, "-5"), (IDLE, "0"), ("kubeconfig-default-token-ttl-minutes", "x"),
    ("kubeconfig-generate-token", "yes"), ("kubeconfig-generate-token", "1"),
])
async def test_invalid_value_is_422_naming_setting_value_and_rule(api, name, value):
    reply = await api.put(f"/v3/settings/{name}", {"value": value})
    assert reply.status == 422
    message = reply.body["message"]
    assert name in message and value in message and "must be" in message
    assert reply.body["details"][0]["field"] == name
    assert (await api.get(f"/v3/settings/{name}")).body["value"] == SETTINGS[name]


async def test_non_string_value_is_422(api):
    reply = await api.put(f"/v3/settings/{MAX}", {"value": 5})
    assert reply.status == 422 and reply.body["fieldName"] == "value"


async def test_idle_above_session_is_rejected_with_both_named(api):
    await api.put(f"/v3/settings/{IDLE}", {"value": "50"})
    assert (await api.put(f"/v3/settings/{SESSION}", {"value": "100"})).status == 200
    reply = await api.put(f"/v3/settings/{IDLE}", {"value": "101"})
    assert reply.status == 422
    assert IDLE in reply.body["message"] and SESSION in reply.body["message"]
    assert (await api.get(f"/v3/settings/{IDLE}")).body["value"] == "50"


async def test_session_below_idle_is_accepted_on_v3_as_in_rancher(api):
    reply = await api.put(f"/v3/settings/{SESSION}", {"value": "100"})
    assert reply.status == 200 and reply.body["value"] == "100"
    assert (await api.get(f"/v3/settings/{IDLE}")).body["value"] == "960"


async def test_idle_write_above_a_lowered_session_is_still_refused(api):
    assert (await api.put(f"/v3/settings/{SESSION}", {"value": "100"})).status == 200
    reply = await api.put(f"/v3/settings/{IDLE}", {"value": "500"})
    assert reply.status == 422 and reply.body["fieldName"] == IDLE


async def test_idle_equal_to_session_is_accepted(api):
    await api.put(f"/v3/settings/{IDLE}", {"value": "100"})
    assert (await api.put(f"/v3/settings/{SESSION}", {"value": "100"})).status == 200


async def test_delete_resets_to_default_and_is_idempotent(api):
    await api.put(f"/v3/settings/{MAX}", {"value": "600"})
    assert (await api.delete(f"/v3/settings/{MAX}")).status == 204
    assert (await api.delete(f"/v3/settings/{MAX}")).status == 204
    body = (await api.get(f"/v3/settings/{MAX}")).body
    assert (body["value"], body["source"]) == ("129600", "default")


async def test_empty_value_resets_to_default_as_in_rancher(api):
    await api.put(f"/v3/settings/{MAX}", {"value": "600"})
    reply = await api.put(f"/v3/settings/{MAX}", {"value": ""})
    assert reply.status == 200 and reply.body["value"] == "129600"


async def test_unknown_setting_is_404(api):
    assert (await api.get("/v3/settings/server-url")).status == 404
    assert (await api.put("/v3/settings/server-url", {"value": "x"})).status == 404


async def test_only_admins_write_settings(api):
    user = await api.new_user("gina")
    assert (await user.get(f"/v3/settings/{MAX}")).status == 200
    assert (await user.put(f"/v3/settings/{MAX}", {"value": "1"})).status == 403
    assert (await user.delete(f"/v3/settings/{MAX}")).status == 403


async def test_pinned_setting_is_read_only_with_405(make_api, config):
    api = await make_api(config, pinned_settings={MAX: "60"})
    body = (await api.get(f"/v3/settings/{MAX}")).body
    assert (body["value"], body["source"], body["customized"]) == ("60", "env", False)
    reply = await api.put(f"/v3/settings/{MAX}", {"value": "5"})
    assert reply.status == 405 and reply.body["code"] == "MethodNotAllow"
    assert reply.body["message"].startswith(f"{MAX} is readOnly because its value is from environment variable")
    assert (await api.delete(f"/v3/settings/{MAX}")).status == 405
    assert (await api.new_token(ttl=0))["ttl"] == 60 * 60_000


async def test_invalid_pinned_setting_stops_startup(aiohttp_client, config, clock):
    from shim.app import create_app
    import dataclasses

    app = create_app(dataclasses.replace(config, pinned_settings={MAX: "-3"}), clock=clock)
    with pytest.raises(Exception, match=MAX):
        await aiohttp_client(app)


async def test_a_setting_value_with_a_trailing_newline_is_refused(api):
    reply = await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "5\n"})
    assert reply.status == 422, reply.body
    assert (await api.get("/v3/settings/auth-token-max-ttl-minutes")).body["value"] != "5"
