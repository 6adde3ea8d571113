"""Authentication: the three ways to present a token and every way to fail."""

import pytest

from shim import crypto
from shim.keys import CORE
from shim.policy import MINUTE_MS
from tests.support import basic

MUST_AUTHENTICATE = {"type": "error", "status": "401",
                     "message": "Unauthorized 401: must authenticate"}


async def test_bearer_basic_and_cookie_all_authenticate(api):
    bearer = (await api.new_token())["token"]
    anonymous = api.as_(None)
    assert (await anonymous.get("/v3", headers={"Authorization": f"Bearer {bearer}"})).status == 200
    assert (await anonymous.get("/v3", headers={"Authorization": basic(bearer)})).status == 200
    assert (await anonymous.get("/v3", cookies={"R_SESS": bearer})).status == 200


async def test_header_wins_over_cookie(api):
    good = (await api.new_token())["token"]
    reply = await api.as_(None).get(
        "/v3", headers={"Authorization": "Bearer token-zzzzz:nope"}, cookies={"R_SESS": good}
    )
    assert reply.status == 401


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Bearer token-zzzzz", "Bearer :secret", "Bearer token-zzzzz:x",
    "Basic !!!notbase64", "Basic " + "dG9rZW4=", "Digest abc", "Bearer \u00e9\u00e9:\u00e9",
])
async def test_bad_credentials_get_rancher_401(api, header):
    headers = {} if header is None else {"Authorization": header}
    reply = await api.as_(None).get("/v3/tokens", headers=headers)
    assert reply.status == 401 and reply.body == MUST_AUTHENTICATE


async def test_wrong_secret_of_existing_token_is_401(api):
    token_id = (await api.new_token())["id"]
    reply = await api.as_(f"{token_id}:{'b' * 54}").get("/v3")
    assert reply.status == 401 and reply.body == MUST_AUTHENTICATE


async def test_expired_token_is_401(api, clock):
    bearer = (await api.new_token(ttl=5000))["token"]
    clock.advance(4999)
    assert (await api.as_(bearer).get("/v3")).status == 200
    clock.advance(1)
    reply = await api.as_(bearer).get("/v3")
    assert reply.status == 401 and reply.body == MUST_AUTHENTICATE


async def test_disabled_user_tokens_fail_at_once_and_return_when_reenabled(api):
    user = await api.new_user("erin")
    api_token = (await user.new_token())["token"]
    assert (await api.put(f"/v3/users/{user.user_id}", {"enabled": False})).status == 200
    for bearer in (user.bearer, api_token):
        assert (await api.as_(bearer).get("/v3")).body == MUST_AUTHENTICATE
    listed = await api.get(f"/v3/tokens?userId={user.user_id}")
    assert len(listed.body["data"]) == 2  # deactivation deletes nothing
    await api.put(f"/v3/users/{user.user_id}", {"enabled": True})
    for bearer in (user.bearer, api_token):
        assert (await api.as_(bearer).get("/v3")).status == 200


async def test_password_change_keeps_tokens_working(api):
    user = await api.new_user("frank", "frank-password-1")
    bearer = (await user.new_token())["token"]
    reply = await user.post("/v3/users?action=changepassword",
                            {"currentPassword": "frank-password-1", "newPassword": "frank-password-2"})
    assert reply.status == 200
    await api.post(f"/v3/users/{user.user_id}?action=setpassword", {"newPassword": "frank-password-3"})
    assert (await api.as_(bearer).get("/v3")).status == 200
    assert (await user.get("/v3")).status == 200


async def test_cluster_scoped_token_only_works_under_its_cluster(make_api, config):
    api = await make_api(config, clusters=("local", "c2"))
    bearer = (await api.new_token(clusterId="c2"))["token"]
    scoped = api.as_(bearer)
    assert (await scoped.get("/v3/clusters/c2")).status == 200
    assert (await scoped.get("/v3/clusters/local")).status == 401
    assert (await scoped.get("/v3/tokens")).status == 401


async def test_last_used_is_written_at_most_once_per_second(api, core, clock):
    body = await api.new_token()
    caller = api.as_(body["token"])
    await caller.get("/v3")
    first = (await core.store.get_token(body["id"])).last_used
    clock.advance(999)
    await caller.get("/v3")
    assert (await core.store.get_token(body["id"])).last_used == first
    clock.advance(1)
    await caller.get("/v3")
    assert (await core.store.get_token(body["id"])).last_used == first + 1000


async def test_session_dies_after_idle_ttl_without_requests(api, clock):
    await api.put("/v3/settings/auth-user-session-idle-ttl-minutes", {"value": "10"})
    session = (await api.login("admin", "admin-password-1")).body["token"]
    caller = api.as_(session)
    clock.advance(9 * MINUTE_MS)
    assert (await caller.get("/v3")).status == 200  # activity resets the idle clock
    clock.advance(9 * MINUTE_MS)
    assert (await caller.get("/v3")).status == 200
    clock.advance(10 * MINUTE_MS + 1)
    assert (await caller.get("/v3")).status == 401


async def test_api_tokens_are_not_subject_to_idle_timeout(api, clock):
    await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "0"})
    bearer = (await api.new_token(ttl=0))["token"]
    clock.advance(2000 * MINUTE_MS)
    assert (await api.as_(bearer).get("/v3")).status == 200


async def test_lowered_session_ttl_applies_to_existing_sessions(api, clock):
    session = (await api.login("admin", "admin-password-1")).body["token"]
    await api.put("/v3/settings/auth-user-session-idle-ttl-minutes", {"value": "5"})
    await api.put("/v3/settings/auth-user-session-ttl-minutes", {"value": "5"})
    clock.advance(4 * MINUTE_MS)
    assert (await api.as_(session).get("/v3")).status == 200
    clock.advance(MINUTE_MS)
    assert (await api.as_(session).get("/v3")).status == 401


async def test_session_ttl_lowered_below_idle_bounds_sessions_without_touching_idle(api, clock):
    """Rancher accepts session < idle (RULES-SHARED 1); authentication then uses
    min(idle, session) as the idle timeout and the session TTL as the lifetime."""
    session = (await api.login("admin", "admin-password-1")).body["token"]
    reply = await api.put("/v3/settings/auth-user-session-ttl-minutes", {"value": "10"})
    assert reply.status == 200
    assert (await api.get("/v3/settings/auth-user-session-idle-ttl-minutes")).body["value"] == "960"
    clock.advance(9 * MINUTE_MS)
    assert (await api.as_(session).get("/v3")).status == 200
    clock.advance(MINUTE_MS)
    assert (await api.as_(session).get("/v3")).status == 401


async def test_unauthenticated_routes_need_no_token(api):
    anonymous = api.as_(None)
    assert (await anonymous.get("/healthz")).status == 200
    assert (await anonymous.get("/readyz")).status == 200
    assert (await anonymous.get("/v3-public/authProviders")).status == 200


async def test_a_known_path_without_token_is_401_with_rancher_body(api):
    reply = await api.as_(None).get("/v3/tokens/token-nothere")
    assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE)


async def test_an_unknown_token_id_is_checked_against_a_secret_like_a_known_one(api, monkeypatch):
    """Issue 13.13: both refusals run the secret comparison (timing figures in the notes)."""
    checked = []
    real = crypto.verify_secret

    def counting(stored, given):
        checked.append(stored)
        return real(stored, given)

    monkeypatch.setattr(crypto, "verify_secret", counting)
    known = (await api.new_token())["id"]
    for token_id in (known, "token-zzzzz"):
        checked.clear()
        reply = await api.as_(None).get("/v3", headers={"Authorization": f"Bearer {token_id}:nope"})
        assert reply.status == 401 and len(checked) == 1, token_id


# A session refused as expired stays dead; reads and the purge agree (issue 13.5). On SQLite
# and through the app on PostgreSQL, whose token rows are cached while its listener is up.


@pytest.fixture(params=["sqlite", "postgres"])
async def either(request, make_api, config):
    """An admin Api on SQLite, or on a fresh PostgreSQL database (row cache on)."""
    if request.param == "sqlite":
        return await make_api(config)
    return await make_api(config, db=request.getfixturevalue("pg_server").create_database())

IDLE = "/v3/settings/auth-user-session-idle-ttl-minutes"
SESSION = "/v3/settings/auth-user-session-ttl-minutes"


async def _admin_by_api_token(api):
    """An admin client that no session setting can log out."""
    return api.as_((await api.new_token())["token"])


async def _expired_ids(admin, flag: str) -> set[str]:
    return {t["id"] for t in (await admin.get(f"/v3/tokens?kind=session&expired={flag}")).body["data"]}


async def _shows_dead_then_purged(admin, core, clock, session_id: str) -> None:
    """Every read says the session is expired, as authentication does; the purge removes it."""
    from shim.purge import purge_once

    assert (await admin.get(f"/v3/tokens/{session_id}")).body["expired"] is True
    assert session_id in await _expired_ids(admin, "true")
    assert session_id not in await _expired_ids(admin, "false")
    assert await purge_once(core.tokens, clock(), 100) >= 1
    assert (await admin.get(f"/v3/tokens/{session_id}")).status == 404


async def test_a_session_refused_as_idle_stays_dead_when_the_setting_is_raised(either, clock):
    api, core = either, either.client.server.app[CORE]
    admin = await _admin_by_api_token(api)
    ruth = await api.new_user("ruth")
    session_id = ruth.bearer.split(":")[0]
    assert (await admin.put(IDLE, {"value": "1"})).status == 200
    clock.advance(2 * MINUTE_MS)
    assert (await ruth.get("/v3")).status == 401
    assert (await admin.delete(IDLE)).status == 204  # back to the default
    assert (await ruth.get("/v3")).status == 401
    await _shows_dead_then_purged(admin, core, clock, session_id)


async def test_a_session_refused_past_the_session_ttl_stays_dead_when_it_is_raised(either, clock):
    api = either
    admin = await _admin_by_api_token(api)
    ruth = await api.new_user("ruth")
    assert (await admin.put(IDLE, {"value": "1"})).status == 200
    assert (await admin.put(SESSION, {"value": "1"})).status == 200
    clock.advance(MINUTE_MS)
    assert (await ruth.get("/v3")).status == 401
    assert (await admin.put(SESSION, {"value": "960"})).status == 200
    assert (await admin.put(IDLE, {"value": "960"})).status == 200
    assert (await ruth.get("/v3")).status == 401


async def test_reads_and_the_purge_judge_sessions_as_authentication_does(either, clock):
    """A session dead under the current settings shows expired before anyone presents it."""
    api, core = either, either.client.server.app[CORE]
    admin = await _admin_by_api_token(api)
    ruth = await api.new_user("ruth")
    session_id = ruth.bearer.split(":")[0]
    assert (await admin.put(IDLE, {"value": "10"})).status == 200
    clock.advance(5 * MINUTE_MS)
    assert (await admin.get(f"/v3/tokens/{session_id}")).body["expired"] is False
    assert session_id in await _expired_ids(admin, "false")
    clock.advance(6 * MINUTE_MS)
    await _shows_dead_then_purged(admin, core, clock, session_id)
    assert (await ruth.get("/v3")).status == 401
