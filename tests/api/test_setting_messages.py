"""Idle > session is refused with a message that fits the face and the kind of write."""

TF = "/terraform/v1"
IDLE = "auth-user-session-idle-ttl-minutes"
SESSION = "auth-user-session-ttl-minutes"
POLICY = f"{TF}/token-policies/default"


async def _policy(api, idle: int, session: int):
    return await api.put(POLICY, {"name": "default", IDLE: idle, SESSION: session})


async def test_a_token_policy_is_told_idle_must_not_exceed_session(api):
    reply = await _policy(api, 999, 480)
    assert reply.status == 422, reply.body
    message = reply.body["message"]
    assert f"{IDLE} (999) must be less than or equal to {SESSION} (480)" in message
    assert "change both together" not in message and "first" not in message
    assert reply.body["details"][0]["rule"] in message


async def test_a_v3_setting_write_keeps_rancher_wording_and_says_what_to_do(api):
    assert (await _policy(api, 100, 480)).status == 200
    reply = await api.put(f"/v3/settings/{IDLE}", {"value": "999"})
    assert reply.status == 422, reply.body
    message = reply.body["message"]
    assert f"Forbidden: can't be greater than {SESSION} (480)" in message
    assert f"change {SESSION} first" in message
    assert "token policy on the Terraform face (/terraform/v1/token-policies/default)" in message


async def test_a_terraform_setting_write_points_at_the_token_policy(api):
    assert (await _policy(api, 100, 480)).status == 200
    reply = await api.put(f"{TF}/settings/{IDLE}", {"name": IDLE, "value": "999"})
    assert reply.status == 422, reply.body
    message = reply.body["message"]
    assert f"{IDLE} (999) can't be greater than {SESSION} (480); change {SESSION} first" in message
    assert "in the token policy (/terraform/v1/token-policies/default)" in message
