"""Why a credential was refused: one 401 for all, the reason only on the metrics."""

import pytest

from tests.api.test_auth import MUST_AUTHENTICATE
from tests.api.test_metrics import sample, scrape


@pytest.mark.parametrize("bearer", [":secret", "token-zzzzz", "token-zzzzz:", "tøken:sécret"])
async def test_a_malformed_credential_is_its_own_reason(api, bearer):
    reply = await api.as_(bearer).get("/v3")
    assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE)
    samples = await scrape(api)
    assert sample(samples, "token_shim_auth_failures_total", reason="malformed credential") == 1
    assert sample(samples, "token_shim_auth_failures_total", reason="unknown token") == 0


async def test_an_api_token_keeps_no_idle_activity_and_a_session_does(api, core, clock):
    token = await api.new_token()
    session = api.bearer.split(":")[0]
    clock.advance(5000)
    assert (await api.as_(token["token"]).get("/v3")).status == 200
    stored = await core.store.get_token(token["id"])
    assert stored.last_used == clock() and stored.last_activity is None
    assert (await api.get("/v3")).status == 200
    assert (await core.store.get_token(session)).last_activity == clock()


async def test_the_id_ends_at_the_first_colon_and_the_rest_is_the_secret(api):
    token = await api.new_token()
    reply = await api.as_(f"{token['token']}:extra").get("/v3")
    assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE)
    samples = await scrape(api)
    assert sample(samples, "token_shim_auth_failures_total", reason="bad secret") == 1
    assert sample(samples, "token_shim_auth_failures_total", reason="unknown token") == 0


async def failures_by_reason(api) -> dict[str, float]:
    samples = await scrape(api)
    return {dict(labels)["reason"]: value for (name, labels), value in samples.items()
            if name == "token_shim_auth_failures_total"}


async def test_each_refusal_is_counted_under_its_own_reason(api, clock):
    """One 401 body for all; the reason, exactly, on the metrics (and in the logs)."""
    user = await api.new_user("pat")
    expiring = await api.new_token(ttl=1000)
    disabled = await api.new_token()
    await api.put(f"/v3/tokens/{disabled['id']}", {"enabled": False})
    scoped = await api.new_token(clusterId="local")
    await api.put(f"/v3/users/{user.user_id}", {"enabled": False})
    clock.advance(2000)
    attempts = [
        (api.as_(None).get("/v3"), "no credential"),
        (api.as_("token-zzzzz:nope").get("/v3"), "unknown token"),
        (api.as_(expiring["id"] + ":wrong").get("/v3"), "bad secret"),
        (api.as_(expiring["token"]).get("/v3"), "expired"),
        (api.as_(disabled["token"]).get("/v3"), "disabled token"),
        (user.get("/v3"), "disabled user"),
        (api.as_(scoped["token"]).get("/v3/tokens"), "cluster scope"),
    ]
    seen = {}
    for call, reason in attempts:
        reply = await call
        assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE), reason
        seen[reason] = 1
        assert await failures_by_reason(api) == seen, reason


async def test_an_idle_session_is_refused_as_idle_and_an_old_one_as_expired(api, clock):
    await api.put("/v3/settings/auth-user-session-idle-ttl-minutes", {"value": "1"})
    await api.put("/v3/settings/auth-user-session-ttl-minutes", {"value": "2"})
    idle = (await api.login("admin", "admin-password-1")).body["token"]
    busy = (await api.login("admin", "admin-password-1")).body["token"]
    clock.advance(59_000)
    assert (await api.as_(busy).get("/v3")).status == 200
    clock.advance(2_000)
    assert (await api.as_(idle).get("/v3")).status == 401
    assert (await api.as_(busy).get("/v3")).status == 200
    clock.advance(60_000)  # 121 s since login: the 2-minute session is over
    assert (await api.as_(busy).get("/v3")).status == 401
    fresh = api.as_((await api.login("admin", "admin-password-1")).body["token"])
    reasons = await failures_by_reason(fresh)
    assert (reasons["idle"], reasons["expired"]) == (1, 1)


async def test_a_throttled_login_is_counted_as_throttled(api):
    await api.post("/v3/users", {"username": "carol", "password": "carol-password-1"})
    for _ in range(5):  # the default burst: the fifth checked attempt starts the backoff
        assert (await api.login("carol", "wrong")).status == 401
    assert (await api.login("carol", "carol-password-1")).status == 429
    reasons = await failures_by_reason(api)
    assert (reasons["bad password"], reasons["throttled"]) == (5, 1)


async def test_a_bearer_of_the_other_kind_is_an_unknown_token(api):
    """`ext/<name>:<value>` finds only ext tokens and the plain form only the others."""
    ext = (await api.post("/k8s/clusters/local/apis/ext.cattle.io/v1/tokens",
                          {"apiVersion": "ext.cattle.io/v1", "kind": "Token",
                           "metadata": {}, "spec": {}})).body["status"]["bearerToken"]
    v3 = (await api.new_token())["token"]
    assert (await api.as_(ext).get("/v3")).status == 200
    for bearer in (ext.removeprefix("ext/"), "ext/" + v3):
        reply = await api.as_(bearer).get("/v3")
        assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE), bearer
    assert await failures_by_reason(api) == {"unknown token": 2}


async def test_a_session_that_died_idle_stays_dead_and_is_then_refused_as_expired(api, clock):
    await api.put("/v3/settings/auth-user-session-idle-ttl-minutes", {"value": "1"})
    await api.put("/v3/settings/auth-user-session-ttl-minutes", {"value": "2"})
    idle = (await api.login("admin", "admin-password-1")).body["token"]
    clock.advance(61_000)
    assert (await api.as_(idle).get("/v3")).status == 401
    fresh = api.as_((await api.login("admin", "admin-password-1")).body["token"])
    assert (await fresh.put("/v3/settings/auth-user-session-ttl-minutes", {"value": "0"})).status == 200
    assert (await fresh.put("/v3/settings/auth-user-session-idle-ttl-minutes",
                            {"value": "100"})).status == 200
    reply = await api.as_(idle).get("/v3")  # raising the settings does not revive it
    assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE)
    assert await failures_by_reason(fresh) == {"idle": 1, "expired": 1}
