"""idle <= session (RULES-SHARED item 1): every write of the idle setting, on every face.

A write of an idle value above a non-zero session ttl is refused with 422 and changes
nothing. A reset (an empty value or a delete: the default, 960) is always allowed, as
Rancher's webhook allows an empty value; the effective idle timeout stays
min(idle, session). The setup stores idle 50 and session 100.
"""

import pytest


TF = "/terraform/v1"
IDLE = "auth-user-session-idle-ttl-minutes"
SESSION = "auth-user-session-ttl-minutes"
POLICY = f"{TF}/token-policies/default"


async def idle_50_session_100(api) -> None:
    assert (await api.put(f"/v3/settings/{IDLE}", {"value": "50"})).status == 200
    assert (await api.put(f"/v3/settings/{SESSION}", {"value": "100"})).status == 200


async def values(api) -> dict[str, tuple[str, str]]:
    data = (await api.get("/v3/settings")).body["data"]
    return {s["id"]: (s["value"], s["source"]) for s in data}


def refused_on_idle(reply, path: str, idle: str = "960") -> None:
    """422 on the idle field, naming the session setting and its value 100.

    The wording is each face's own: v3 uses Rancher's webhook text, which names only
    the session setting; the Terraform face and the token policy also name the idle
    value the write would leave.
    """
    assert reply.status == 422, reply.body
    detail = reply.body["details"][0]
    assert detail["field"] == IDLE
    assert f"{SESSION} (100)" in detail["rule"] and detail["rule"] in reply.body["message"]
    if path.startswith("/v3/"):
        assert reply.body["fieldName"] == IDLE
    else:
        assert f"{IDLE} ({idle})" in detail["rule"]


# Each write below names an idle value (960 or 101) above session 100.
IDLE_WRITES = {
    "v3-put-above": ("PUT", f"/v3/settings/{IDLE}", {"value": "101"}),
    "terraform-setting-put-above": ("PUT", f"{TF}/settings/{IDLE}", {"name": IDLE, "value": 101}),
    "token-policy-idle-only": ("PUT", POLICY, {"name": "default", IDLE: "960"}),
    "token-policy-both": ("PUT", POLICY, {"name": "default", IDLE: 101, SESSION: 100}),
}


@pytest.mark.parametrize("method,path,body", IDLE_WRITES.values(), ids=IDLE_WRITES.keys())
async def test_idle_write_that_would_leave_idle_above_session_is_refused_and_changes_nothing(
        api, method, path, body):
    await idle_50_session_100(api)
    before = await values(api)
    doc_before = (await api.get(f"{TF}/settings/{IDLE}")).body
    reply = await api.request(method, path, body)
    idle = "101" if "101" in str(body) else "960"
    refused_on_idle(reply, path, idle)
    assert reply.body["details"][0]["value"] == idle
    assert await values(api) == before
    assert (await api.get(f"{TF}/settings/{IDLE}")).body == doc_before


async def test_idle_reset_with_session_zero_is_accepted(api):
    assert (await api.put(f"/v3/settings/{IDLE}", {"value": "50"})).status == 200
    assert (await api.put(f"/v3/settings/{SESSION}", {"value": "0"})).status == 200
    assert (await api.delete(f"/v3/settings/{IDLE}")).status == 204
    assert (await values(api))[IDLE] == ("960", "default")


async def test_idle_reset_is_accepted_when_session_is_at_least_the_default(api):
    assert (await api.put(f"/v3/settings/{IDLE}", {"value": "50"})).status == 200
    assert (await api.put(f"/v3/settings/{SESSION}", {"value": "960"})).status == 200
    assert (await api.put(f"/v3/settings/{IDLE}", {"value": ""})).status == 200
    assert (await values(api))[IDLE] == ("960", "default")
    assert (await api.put(f"/v3/settings/{IDLE}", {"value": "50"})).status == 200
    assert (await api.delete(f"{TF}/settings/{IDLE}")).status == 204
    assert (await values(api))[IDLE] == ("960", "default")


async def test_idle_equal_to_session_is_accepted_on_every_face(api):
    await idle_50_session_100(api)
    assert (await api.put(f"/v3/settings/{IDLE}", {"value": "100"})).status == 200
    assert (await api.put(f"{TF}/settings/{IDLE}", {"name": IDLE, "value": 99})).status == 200
    assert (await api.put(POLICY, {"name": "default", IDLE: 100})).status == 200
    assert (await values(api))[IDLE] == ("100", "db")


async def test_token_policy_delete_resets_idle_and_session_together(api):
    await idle_50_session_100(api)
    assert (await api.put(POLICY, {"name": "default", IDLE: 60, SESSION: 100})).status == 200
    assert (await api.delete(POLICY)).status == 204
    after = await values(api)
    assert after[IDLE] == ("960", "default") and after[SESSION] == ("960", "default")


async def test_token_policy_keeps_idle_at_most_session_in_one_document(api):
    reply = await api.put(POLICY, {"name": "default", IDLE: 200, SESSION: 100})
    assert reply.status == 422 and reply.body["details"][0]["field"] == IDLE
    assert (await values(api))[SESSION] == ("960", "default")
    assert (await api.put(POLICY, {"name": "default", IDLE: 100, SESSION: 200})).status == 200
    after = await values(api)
    assert after[IDLE] == ("100", "db") and after[SESSION] == ("200", "db")


IDLE_RESETS = {
    "v3-delete": ("DELETE", f"/v3/settings/{IDLE}", None, 204),
    "v3-empty-value": ("PUT", f"/v3/settings/{IDLE}", {"value": ""}, 200),
    "terraform-setting-delete": ("DELETE", f"{TF}/settings/{IDLE}", None, 204),
}


@pytest.mark.parametrize("method,path,body,status", IDLE_RESETS.values(), ids=IDLE_RESETS.keys())
async def test_idle_reset_is_allowed_while_the_session_ttl_is_below_the_default(
        api, method, path, body, status):
    await idle_50_session_100(api)
    reply = await api.request(method, path, body)
    assert reply.status == status, reply.body
    assert (await values(api))[IDLE] == ("960", "default")


async def test_idle_reset_is_allowed_against_a_pinned_session(make_api, config):
    api = await make_api(config, pinned_settings={SESSION: "100"})
    for method, path, body, status in IDLE_RESETS.values():
        assert (await api.put(f"/v3/settings/{IDLE}", {"value": "50"})).status == 200
        assert (await api.request(method, path, body)).status == status
        assert (await values(api))[IDLE] == ("960", "default")
