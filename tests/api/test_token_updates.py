"""PUT /v3/tokens/{id}: description, enabled and ttl change; nothing else does."""

from shim.policy import MINUTE_MS
from tests.conftest import START_MS


async def test_description_and_enabled_are_updatable(api):
    body = await api.new_token(description="old")
    reply = await api.put(f"/v3/tokens/{body['id']}", {"description": "new", "enabled": False})
    assert reply.status == 200
    assert reply.body["description"] == "new" and reply.body["enabled"] is False
    assert (await api.as_(body["token"]).get("/v3")).status == 401
    await api.put(f"/v3/tokens/{body['id']}", {"enabled": True})
    assert (await api.as_(body["token"]).get("/v3")).status == 200


async def test_ttl_update_is_reclamped_and_expires_at_counts_from_creation(api, clock):
    body = await api.new_token(ttl=60_000)
    clock.advance(30_000)
    await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "10"})
    reply = await api.put(f"/v3/tokens/{body['id']}", {"ttl": 3600_000})
    assert reply.body["ttl"] == 10 * MINUTE_MS
    assert reply.body["createdTS"] == START_MS
    assert reply.body["expiresAt"] == "2027-01-15T08:10:00Z"


async def test_user_may_shorten_but_not_extend_ttl(api):
    user = await api.new_user("carol")
    body = await user.new_token(ttl=120_000)
    shorter = await user.put(f"/v3/tokens/{body['id']}", {"ttl": 60_000})
    assert shorter.status == 200 and shorter.body["ttl"] == 60_000
    longer = await user.put(f"/v3/tokens/{body['id']}", {"ttl": 90_000})
    assert longer.status == 422
    assert "forbidden to extend time-to-live" in longer.body["message"]
    assert (await user.get(f"/v3/tokens/{body['id']}")).body["ttl"] == 60_000


async def test_admin_may_extend_ttl(api):
    body = await api.new_token(ttl=60_000)
    reply = await api.put(f"/v3/tokens/{body['id']}", {"ttl": 120_000})
    assert reply.status == 200 and reply.body["ttl"] == 120_000


async def test_changing_an_immutable_field_is_422_naming_it(api):
    user = await api.new_user("dave")
    body = await api.new_token()
    for field, value in (("userId", user.user_id), ("clusterId", "local"), ("kind", "agent")):
        reply = await api.put(f"/v3/tokens/{body['id']}", {field: value})
        assert reply.status == 422, field
        assert reply.body["fieldName"] == field and "immutable" in reply.body["message"]


async def test_sending_back_the_read_object_is_accepted(api):
    body = await api.new_token(description="same")
    read = (await api.get(f"/v3/tokens/{body['id']}")).body
    reply = await api.put(f"/v3/tokens/{body['id']}", read)
    assert reply.status == 200 and reply.body == read


async def test_same_body_twice_changes_nothing(api, core):
    body = await api.new_token(description="a", ttl=60_000)
    change = {"description": "b", "ttl": 30_000, "enabled": True}
    await api.put(f"/v3/tokens/{body['id']}", change)
    version = (await core.store.get_token(body["id"])).version
    await api.put(f"/v3/tokens/{body['id']}", change)
    assert (await core.store.get_token(body["id"])).version == version


async def test_system_token_ttl_stays_zero(api):
    body = await api.new_token(kind="agent")
    reply = await api.put(f"/v3/tokens/{body['id']}", {"ttl": 5000})
    assert reply.status == 422 and reply.body["fieldName"] == "ttl"


async def test_update_of_missing_token_is_404(api):
    assert (await api.put("/v3/tokens/token-zzzzz", {"description": "x"})).status == 404


# Integers in, integers out (issue 13.12): JSON's 3e4 is the integer 30000.

JSON = {"Content-Type": "application/json"}


async def _raw(api, method: str, path: str, text: str) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {api.bearer}", **JSON}
    async with api.client.request(method, path, data=text, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_an_integral_float_ttl_is_stored_and_echoed_as_an_integer(api):
    token = await api.new_token()
    status, text = await _raw(api, "PUT", f"/v3/tokens/{token['id']}", '{"ttl": 3e4}')
    assert status == 200, text
    assert '"ttl":30000,' in text and "30000.0" not in text
    again = await api.get(f"/v3/tokens/{token['id']}")
    assert again.body["ttl"] == 30000 and isinstance(again.body["ttl"], int)


async def test_integral_floats_are_integers_on_the_terraform_face(api):
    status, text = await _raw(api, "POST", "/terraform/v1/tokens", '{"ttl": 6.0e4, "renewBefore": 1E3}')
    assert status == 201, text
    assert "60000.0" not in text and "1000.0" not in text
    token_id = __import__("json").loads(text)["id"]
    echo = await api.get(f"/terraform/v1/tokens/{token_id}")
    assert echo.body["ttl"] == 60000 and isinstance(echo.body["ttl"], int)
    assert echo.body["renewBefore"] == 1000 and isinstance(echo.body["renewBefore"], int)
    status, text = await _raw(api, "PUT", "/terraform/v1/settings/auth-token-max-ttl-minutes",
                              '{"name": "auth-token-max-ttl-minutes", "value": 1.2e3}')
    assert status == 200 and '"value":1200' in text and "1200.0" not in text, text


async def test_a_fractional_ttl_is_422(api):
    token = await api.new_token()
    status, text = await _raw(api, "PUT", f"/v3/tokens/{token['id']}", '{"ttl": 30000.5}')
    assert status == 422 and "ttl" in text
    status, _ = await _raw(api, "POST", "/terraform/v1/tokens", '{"ttl": 0.5}')
    assert status == 422
