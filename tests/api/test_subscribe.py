"""The websockets /v1/subscribe and /v3/subscribe: what a client watches, as it changes,
on this replica and (PostgreSQL) on another one."""

import asyncio

import orjson

TOKENS = "/v1/ext.cattle.io.tokens"
TOKEN = {"apiVersion": "ext.cattle.io/v1", "kind": "Token", "spec": {"ttl": 3_600_000}}


async def connect(api, path: str = "/v1/subscribe", **headers):
    return await api.client.ws_connect(
        path, headers={"Authorization": f"Bearer {api.bearer}", **headers})


async def next_event(socket, name: str, timeout: float = 10.0) -> dict:
    """The next message called `name` (pings and other events are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            message = orjson.loads((await socket.receive()).data)
            if message["name"] == name:
                return message


async def watch(socket, resource_type: str) -> None:
    await socket.send_str(orjson.dumps({"resourceType": resource_type}).decode())
    assert (await next_event(socket, "resource.start"))["resourceType"] == resource_type


async def test_ext_token_create_and_remove_reach_a_subscriber(api):
    socket = await connect(api)
    await watch(socket, "ext.cattle.io.token")
    made = (await api.post(TOKENS, TOKEN)).body
    created = await next_event(socket, "resource.create")
    assert created["data"]["id"] == made["id"] and "bearerToken" not in created["data"]["status"]
    await api.delete(f"{TOKENS}/{made['id']}")
    removed = await next_event(socket, "resource.remove")
    assert removed["data"]["id"] == made["id"]
    await socket.close()


async def test_v3_tokens_and_settings_changes_on_v3_subscribe(api):
    socket = await connect(api, "/v3/subscribe")
    await watch(socket, "token")
    await watch(socket, "setting")
    key = await api.new_token(description="watched")
    created = await next_event(socket, "resource.create")
    assert created["resourceType"] == "token" and created["data"]["id"] == key["id"]
    assert "token" not in created["data"]  # the secret never travels again
    await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "60"})
    changed = await next_event(socket, "resource.change")
    assert changed["data"]["id"] == "auth-token-max-ttl-minutes"
    assert changed["data"]["value"] == "60"
    await socket.close()


async def test_another_users_tokens_are_not_sent(api):
    ruth = await api.new_user("ruth")
    socket = await connect(ruth, "/v3/subscribe")
    await watch(socket, "token")
    await api.new_token(description="admin's")
    mine = await ruth.new_token(description="ruth's")
    created = await next_event(socket, "resource.create")
    assert created["data"]["id"] == mine["id"]
    await socket.close()


async def test_the_socket_closes_when_its_session_ends(api):
    session = (await api.login("admin", "admin-password-1")).body["token"]
    socket = await connect(api.as_(session))
    await watch(socket, "ext.cattle.io.token")
    await api.as_(session).post("/v1/logout")
    async with asyncio.timeout(10):
        while not socket.closed:
            await socket.receive()
    assert socket.close_code == 4001


async def test_a_socket_needs_a_login_and_this_servers_origin(api):
    refused = await api.client.get("/v1/subscribe")
    assert refused.status == 401
    other = await api.client.get("/v1/subscribe", headers={
        "Authorization": f"Bearer {api.bearer}", "Origin": "https://evil.example",
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert other.status == 403


async def test_a_token_created_on_one_replica_reaches_a_subscriber_on_the_other(
        make_api, config, pg_server):
    url = pg_server.create_database()
    first = await make_api(config, db=url)
    second = await make_api(config, db=url)
    socket = await connect(second)
    await watch(socket, "ext.cattle.io.token")
    made = (await first.post(TOKENS, TOKEN)).body
    created = await next_event(socket, "resource.create", timeout=4.0)  # < the 5 s re-read
    assert created["data"]["id"] == made["id"]
    await socket.close()
