"""Rancher 2.14's login door, /v1-public, and POST /v1/logout: the same login as
/v3-public (throttle, audit, disabled users, mustChangePassword), and the requests of
`rancher token` >= 2.14 and terraform-provider-rancher2 >= v14.1's login, replayed in
the order their sources send them (../shared/reference/rancher-today.md)."""

import base64

LOGIN = "/v1-public/login"
PASSWORD = "user-password-1"


def basic(bearer: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(bearer.encode()).decode()}


async def test_authproviders_lists_the_local_provider(api):
    reply = await api.as_(None).get("/v1-public/authproviders")
    assert reply.status == 200
    local = reply.body["data"][0]
    assert (local["id"], local["type"]) == ("local", "localProvider")
    assert reply.headers["X-API-Cattle-Auth"] == "false"


async def test_rancher_token_214_logs_in_with_a_kubeconfig_response_type(api):
    anonymous = api.as_(None)
    providers = await anonymous.get("/v1-public/authproviders")
    provider = providers.body["data"][0]
    reply = await anonymous.post(LOGIN, {"type": provider["type"], "username": "admin",
                                         "password": "admin-password-1",
                                         "responseType": "kubeconfig"})
    assert reply.status == 201 and set(reply.body) >= {"token", "expiresAt", "id", "type"}
    assert reply.body["token"].startswith(reply.body["id"] + ":")
    assert (await api.as_(reply.body["token"]).get("/v3")).status == 200
    v3 = await api.as_(None).login("admin", "admin-password-1", responseType="kubeconfig")
    kinds = [(await api.get(f"/v3/tokens/{i}")).body["kind"] for i in (reply.body["id"],
                                                                          v3.body["id"])]
    assert kinds[0] == kinds[1]  # one login, two doors


async def test_rancher2_v14_login_gets_a_token_with_its_ttl_and_description(api):
    reply = await api.as_(None).post(LOGIN, {"type": "localProvider", "username": "admin",
                                             "password": "admin-password-1", "ttl": 600_000,
                                             "description": "Terraform login"})
    assert reply.status == 201
    bearer = reply.body["token"]
    assert (await api.as_(bearer).get("/v3")).status == 200
    made = (await api.get(f"/v3/tokens/{reply.body['id']}")).body
    assert made["description"] == "Terraform login" and made["ttl"] == 600_000


async def test_the_cookie_response_sets_r_sess_only_and_no_body(api):
    reply = await api.client.post(LOGIN, json={
        "type": "localProvider", "username": "admin", "password": "admin-password-1",
        "description": "UI session", "responseType": "cookie"})
    assert reply.status == 200 and await reply.read() == b""
    cookie = reply.cookies["R_SESS"]
    assert cookie["httponly"] and cookie["path"] == "/" and ":" in cookie.value
    who = await api.client.get("/v3/users?me=true", cookies={"R_SESS": cookie.value})
    assert who.status == 200 and who.headers["X-API-Cattle-Auth"] == "true"


async def test_a_wrong_password_is_401_audited_and_sets_no_cookie(make_api, config, tmp_path):
    audit = tmp_path / "audit.log"
    api = await make_api(config, audit_log=str(audit))
    reply = await api.client.post(LOGIN, json={"type": "localProvider", "username": "admin",
                                               "password": "wrong", "responseType": "cookie"})
    assert reply.status == 401 and "R_SESS" not in reply.cookies
    assert '"event":"login","actor":null,"target":null,"outcome":"failure"' in audit.read_text()


async def test_a_disabled_user_cannot_log_in_through_either_door(api):
    ruth = await api.new_user("ruth", PASSWORD)
    await api.put(f"/v3/users/{ruth.user_id}", {"enabled": False})
    body = {"username": "ruth", "password": PASSWORD}
    v1 = await api.as_(None).post(LOGIN, body | {"type": "localProvider"})
    v3 = await api.as_(None).login("ruth", PASSWORD)
    assert v1.status == v3.status == 401 and v1.body == v3.body


async def test_both_doors_share_the_login_throttle(api):
    await api.post("/v3/users", {"username": "carol", "password": PASSWORD})  # never logged in
    body = {"type": "localProvider", "username": "carol", "password": "wrong"}
    statuses = [(await api.as_(None).post(LOGIN, body)).status for _ in range(5)]
    statuses.append((await api.as_(None).login("carol", PASSWORD)).status)
    assert statuses == [401] * 5 + [429]


async def test_a_user_who_must_change_password_gets_a_session_limited_as_on_v3(api):
    await api.post("/v3/users", {"username": "newbie", "password": PASSWORD,
                                 "mustChangePassword": True})
    reply = await api.as_(None).post(LOGIN, {"type": "localProvider", "username": "newbie",
                                             "password": PASSWORD})
    newbie = api.as_(reply.body["token"])
    assert (await newbie.get("/v3/tokens")).status == 403
    assert (await newbie.post("/v1/logout")).status == 200


async def test_logout_ends_the_session_and_clears_the_cookies(api):
    first = (await api.login("admin", "admin-password-1")).body["token"]
    reply = await api.client.post("/v1/logout", headers={"Authorization": f"Bearer {first}"})
    assert reply.status == 200
    cleared = {name: c.value for name, c in reply.cookies.items()}
    assert cleared == {"R_SESS": "", "CSRF": "", "R_OIDC_ID": ""}
    assert (await api.as_(first).get("/v3")).status == 401
    assert (await api.get("/v3")).status == 200  # the other session lives


async def test_logout_all_ends_every_session_of_the_caller(api):
    other = (await api.login("admin", "admin-password-1")).body["token"]
    assert (await api.post("/v1/logout?all")).status == 200
    assert (await api.as_(other).get("/v3")).status == 401
    assert (await api.get("/v3")).status == 401


async def test_logout_without_a_live_session_still_clears_the_cookies(api):
    reply = await api.client.post("/v1/logout", headers={"Authorization": "Bearer token-x:y"})
    assert reply.status == 200 and reply.cookies["R_SESS"].value == ""


async def test_the_cli_v1_client_finds_the_root_and_its_schemas_with_basic_auth(api):
    key = (await api.post("/v3/tokens", {"description": "cli"})).body["token"]
    root = await api.as_(None).get("/v1", headers=basic(key))
    assert root.status == 200 and root.headers["X-Api-Schemas"].endswith("/v1/schemas")
    schemas = await api.as_(None).get("/v1/schemas", headers=basic(key))
    assert schemas.status == 200 and schemas.body["type"] == "collection"
    assert "management.cattle.io.setting" in {s["id"] for s in schemas.body["data"]}


async def test_logout_with_an_api_key_leaves_the_key_alone(api):
    key = (await api.post("/v3/tokens", {"description": "script"})).body["token"]
    assert (await api.as_(key).post("/v1/logout")).status == 200
    assert (await api.as_(key).get("/v3")).status == 200
