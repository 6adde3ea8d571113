"""Users, passwords and password login."""

import asyncio
import hashlib

import pytest

from shim.policy import MINUTE_MS

LOGIN = "/v3-public/localProviders/local?action=login"


async def test_login_creates_a_session_token_with_session_ttl(api):
    reply = await api.login("admin", "admin-password-1")
    body = reply.body
    assert reply.status == 201 and body["type"] == "token"
    assert body["token"].startswith(body["id"] + ":")
    assert body["ttl"] == 960 * MINUTE_MS and body["isDerived"] is False and body["kind"] == "session"
    assert body["expiresAt"]


async def test_login_session_ttl_follows_the_setting_unclamped(api):
    await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "10"})
    await api.put("/v3/settings/auth-user-session-idle-ttl-minutes", {"value": "30"})
    await api.put("/v3/settings/auth-user-session-ttl-minutes", {"value": "30"})
    assert (await api.login("admin", "admin-password-1")).body["ttl"] == 30 * MINUTE_MS


async def test_wrong_password_and_unknown_user_look_the_same(api):
    wrong = await api.login("admin", "not-the-password")
    unknown = await api.login("nobody-here", "not-the-password")
    assert wrong.status == unknown.status == 401
    assert wrong.body == unknown.body


async def test_a_disabled_user_gets_the_same_401_for_a_right_and_a_wrong_password(api):
    """Rancher answers 403 after a right password; that tells a guesser they got it."""
    user = await api.new_user("hank", "hank-password-1")
    await api.put(f"/v3/users/{user.user_id}", {"enabled": False})
    right = await api.login("hank", "hank-password-1")
    wrong = await api.login("hank", "not-the-password")
    assert right.status == wrong.status == 401
    assert right.body == wrong.body


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Counts the password KDF runs (the real one runs: this only counts)."""
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


async def test_a_failed_login_as_a_passwordless_service_account_runs_the_kdf(api, scrypt_calls):
    tf = await api.post("/terraform/v1/users", {"username": "ci-bot"})
    assert tf.status == 201
    for username in ("ci-bot", "nobody-here", "admin"):
        scrypt_calls.clear()
        reply = await api.login(username, "not-the-password")
        assert reply.status == 401 and len(scrypt_calls) == 1, username


async def test_login_with_cookie_response_sets_r_sess(api):
    reply = await api.login("admin", "admin-password-1", responseType="cookie")
    assert "R_SESS=" in reply.headers.get("Set-Cookie", "")


async def test_auth_providers_list_the_local_provider(api):
    reply = await api.as_(None).get("/v3-public/authProviders")
    assert [p["id"] for p in reply.body["data"]] == ["local"]
    assert reply.body["data"][0]["actions"]["login"].endswith(LOGIN)


async def test_password_is_never_returned(api):
    made = await api.post("/v3/users", {"username": "ivy", "password": "ivy-password-12"})
    assert made.status == 201 and "password" not in made.body
    listed = await api.get("/v3/users")
    assert all("password" not in u and "passwordHash" not in u for u in listed.body["data"])
    assert "ivy-password-12" not in str(listed.body)


async def test_short_password_is_422(api):
    reply = await api.post("/v3/users", {"username": "jack", "password": "short"})
    assert reply.status == 422 and reply.body["fieldName"] == "password"


async def test_duplicate_username_is_409(api):
    await api.post("/v3/users", {"username": "kim", "password": "kim-password-12"})
    reply = await api.post("/v3/users", {"username": "kim", "password": "kim-password-12"})
    assert reply.status == 409


async def test_users_see_only_themselves(api):
    user = await api.new_user("lee")
    listed = await user.get("/v3/users")
    assert [u["id"] for u in listed.body["data"]] == [user.user_id]
    assert (await user.get(f"/v3/users/{api.admin_id}")).status == 404


async def test_only_admins_manage_users(api):
    user = await api.new_user("max")
    assert (await user.post("/v3/users", {"username": "x1", "password": "x-password-123"})).status == 403
    assert (await user.put(f"/v3/users/{user.user_id}", {"enabled": False})).status == 403
    assert (await user.put(f"/v3/users/{user.user_id}", {"name": "Max"})).status == 200
    assert (await user.delete(f"/v3/users/{api.admin_id}")).status == 403


async def test_admin_cannot_lock_themselves_out(api):
    reply = await api.put(f"/v3/users/{api.admin_id}", {"enabled": False})
    assert reply.status == 422
    assert (await api.delete(f"/v3/users/{api.admin_id}")).status == 422


async def test_setpassword_changes_the_password(api):
    user = await api.new_user("nia", "nia-password-12")
    reply = await api.post(f"/v3/users/{user.user_id}?action=setpassword", {"newPassword": "nia-password-13"})
    assert reply.status == 200
    assert (await api.login("nia", "nia-password-12")).status == 401
    assert (await api.login("nia", "nia-password-13")).status == 201


async def test_changepassword_needs_the_current_password(api):
    user = await api.new_user("oli", "oli-password-12")
    reply = await user.post("/v3/users?action=changepassword",
                            {"currentPassword": "wrong-password", "newPassword": "oli-password-13"})
    assert reply.status == 422 and reply.body["fieldName"] == "currentPassword"
    assert (await api.login("oli", "oli-password-12")).status == 201


async def test_deleting_a_user_deletes_their_tokens(api):
    user = await api.new_user("pat")
    bearer = (await user.new_token())["token"]
    assert (await api.delete(f"/v3/users/{user.user_id}")).status == 204
    assert (await api.as_(bearer).get("/v3")).status == 401
    assert (await api.get(f"/v3/tokens?userId={user.user_id}")).body["data"] == []


async def test_must_change_password_is_stored_and_limits_the_session_to_changing_it(api):
    made = await api.post("/v3/users", {"username": "kim", "password": "kim-password-12",
                                        "mustChangePassword": True})
    assert made.status == 201 and made.body["mustChangePassword"] is True
    assert (await api.get(f"/v3/users/{made.body['id']}")).body["mustChangePassword"] is True
    login = await api.login("kim", "kim-password-12")
    assert login.status == 201
    kim = api.as_(login.body["token"])
    refused = await kim.get("/v3/tokens")
    assert refused.status == 403 and "change your password" in refused.body["message"]
    assert (await kim.post("/v3/tokens", {"description": "x"})).status == 403
    assert (await kim.get("/terraform/v1/tokens")).status == 403
    body = {"currentPassword": "kim-password-12", "newPassword": "kim-password-34"}
    changed = await kim.post("/v3/users?action=changepassword", body)
    assert changed.status == 200 and changed.body["mustChangePassword"] is False
    assert (await kim.get("/v3/tokens")).status == 200


async def test_an_admin_can_require_a_password_change_and_a_user_cannot_lift_it(api):
    user = await api.new_user("lee", "lee-password-12")
    assert (await user.put(f"/v3/users/{user.user_id}", {"mustChangePassword": True})).status == 403
    set_ = await api.put(f"/v3/users/{user.user_id}", {"mustChangePassword": True})
    assert set_.status == 200 and set_.body["mustChangePassword"] is True
    assert (await user.get("/v3/users")).status == 403
    assert (await user.post("/v3/tokens?action=logout")).status in (200, 204)


async def test_must_change_password_cannot_lock_out_a_service_account(api):
    bot = (await api.post("/terraform/v1/users", {"username": "ci-bot2"})).body
    reply = await api.put(f"/v3/users/{bot['id']}", {"mustChangePassword": True})
    assert reply.status == 422 and reply.body["fieldName"] == "mustChangePassword"


async def test_a_username_with_a_trailing_newline_is_refused_on_every_face(api):
    """Python's `$` matches before a final newline (issue 13.10)."""
    for username in ("admin\n", "ruth\n", "ruth\r\n", "\nruth"):
        reply = await api.post("/v3/users", {"username": username, "password": "user-password-1"})
        assert reply.status == 422 and reply.body["fieldName"] == "username", (username, reply.body)
        reply = await api.post("/terraform/v1/users", {"username": username})
        assert reply.status == 422, (username, reply.body)
    assert [u["username"] for u in (await api.get("/v3/users")).body["data"]] == ["admin"]
    assert (await api.login("admin\n", "admin-password-1")).status == 401


# Concurrent user writes queue instead of failing (issue 13.6).


@pytest.fixture(params=["sqlite", "postgres"])
async def any_api(request, make_api, config):
    if request.param == "sqlite":
        return await make_api(config)
    return await make_api(config, db=request.getfixturevalue("pg_server").create_database())


async def _loop_renames(user, rounds: int) -> list[int]:
    statuses = []
    for n in range(rounds):
        statuses.append((await user.put(f"/v3/users/{user.user_id}", {"name": f"n{n}"})).status)
    return statuses


async def test_setpassword_succeeds_while_the_user_keeps_renaming_themselves(any_api):
    api = any_api
    ruth = await api.new_user("ruth")
    path = f"/v3/users/{ruth.user_id}?action=setpassword"
    loops = [asyncio.ensure_future(_loop_renames(ruth, 40)) for _ in range(3)]
    sets = await asyncio.gather(*(
        api.post(path, {"newPassword": f"ruth-password-{n:02}"}) for n in range(5)
    ))
    renames = [s for loop in await asyncio.gather(*loops) for s in loop]
    assert [r.status for r in sets] == [200] * 5, [r.body for r in sets]
    assert set(renames) == {200}
    logins = [(await api.login("ruth", f"ruth-password-{n:02}")).status for n in range(5)]
    assert logins.count(201) == 1


async def test_disabling_a_user_is_not_lost_to_their_concurrent_renames(any_api):
    api = any_api
    for attempt in range(5):
        ruth = await api.new_user(f"ruth{attempt}")
        loop = asyncio.ensure_future(_loop_renames(ruth, 20))
        await asyncio.sleep(0)
        disabled = await api.put(f"/v3/users/{ruth.user_id}", {"enabled": False})
        renames = await loop
        assert disabled.status == 200, disabled.body
        assert set(renames) <= {200, 401}  # once disabled, ruth's session is refused
        assert (await api.get(f"/v3/users/{ruth.user_id}")).body["enabled"] is False
