"""Tokens that opt into renewal are reported gone once expired, disabled or in the window."""

TF = "/terraform/v1"


async def _create(api, **doc):
    reply = await api.post(f"{TF}/tokens", doc)
    assert reply.status == 201, reply.body
    return reply.body


async def test_renewable_token_reads_normally_until_due(api, clock):
    made = await _create(api, description="r", ttl=10_000, renew=True)
    assert (await api.get(f"{TF}/tokens/{made['id']}")).body == {"description": "r", "ttl": 10_000, "renew": True}
    clock.advance(10_000)
    reply = await api.get(f"{TF}/tokens/{made['id']}")
    assert reply.status == 404 and "due for renewal (expired)" in reply.body["message"]


async def test_disabled_renewable_token_is_due(api):
    made = await _create(api, description="r", ttl=60_000, renew=True)
    await api.put(f"/v3/tokens/{made['id']}", {"enabled": False})
    reply = await api.get(f"{TF}/tokens/{made['id']}")
    assert reply.status == 404 and "(disabled)" in reply.body["message"]


async def test_renew_before_opens_a_window_before_expiry(api, clock):
    made = await _create(api, description="w", ttl=60_000, renew=True, renewBefore=20_000)
    clock.advance(39_999)
    assert (await api.get(f"{TF}/tokens/{made['id']}")).status == 200
    clock.advance(1)
    assert (await api.get(f"{TF}/tokens/{made['id']}")).status == 404


async def test_field_mode_reports_the_reason_in_renew(api, clock):
    made = await _create(api, description="f", ttl=1000, renew=True)
    clock.advance(1000)
    reply = await api.get(f"{TF}/tokens/{made['id']}?renewal=field")
    assert reply.status == 200 and reply.body["renew"] == "expired"


async def test_token_without_renew_is_never_reported_gone(api, clock):
    made = await _create(api, description="n", ttl=1000)
    clock.advance(5000)
    assert (await api.get(f"{TF}/tokens/{made['id']}")).status == 200


async def test_renewed_token_retires_its_predecessor(api, clock, core):
    doc = {"description": "rot", "ttl": 1000, "renew": True}
    old = await _create(api, **doc)
    other = await _create(api, description="rot", ttl=1000)  # same description, no renew
    clock.advance(1000)
    new = await _create(api, **doc)
    assert await core.store.get_token(old["id"]) is None
    assert await core.store.get_token(other["id"]) is not None
    assert (await api.as_(new["token"]).get("/v3")).status == 200


async def test_live_predecessor_is_kept(api, core):
    doc = {"description": "twin", "ttl": 60_000, "renew": True}
    first = await _create(api, **doc)
    await _create(api, **doc)
    assert await core.store.get_token(first["id"]) is not None


async def _tokens_described(api, description: str) -> list:
    reply = await api.get(f"{TF}/tokens?description={description}")
    assert reply.status == 200, reply.body
    return reply.body["data"]


async def test_a_window_as_long_as_the_ttl_is_refused_on_create(api):
    reply = await api.post(f"{TF}/tokens", {"description": "never-converges", "ttl": 60_000,
                                            "renew": True, "renewBefore": 120_000})
    assert reply.status == 422, reply.body
    assert reply.body["details"][0]["field"] == "renewBefore"
    assert "120000" in reply.body["message"] and "effective ttl (60000 ms" in reply.body["message"]
    assert await _tokens_described(api, "never-converges") == []
    equal = {"description": "never-converges", "ttl": 60_000, "renew": True, "renewBefore": 60_000}
    assert (await api.post(f"{TF}/tokens", equal)).status == 422


async def test_the_window_is_checked_against_the_clamped_ttl(api):
    assert (await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "1"})).status == 200
    reply = await api.post(f"{TF}/tokens", {"description": "clamped", "ttl": 600_000,
                                            "renew": True, "renewBefore": 120_000})
    assert reply.status == 422, reply.body
    assert "renewBefore: 120000" in reply.body["message"]
    assert "effective ttl (60000 ms, after clamping by auth-token-max-ttl-minutes)" in reply.body["message"]
    assert await _tokens_described(api, "clamped") == []


async def test_a_window_shorter_than_the_ttl_or_without_renew_is_accepted(api):
    await _create(api, description="ok", ttl=60_000, renew=True, renewBefore=59_999)
    await _create(api, description="ok", ttl=60_000, renewBefore=120_000)  # no renewal asked
    await _create(api, description="ok", ttl=0, renew=True, renewBefore=120_000)  # clamped: 90 days


async def test_an_update_that_makes_the_window_too_long_is_refused_and_changes_nothing(api):
    doc = {"description": "shrink", "ttl": 600_000, "renew": True, "renewBefore": 120_000}
    made = await _create(api, **doc)
    path = f"{TF}/tokens/{made['id']}"
    reply = await api.put(path, doc | {"ttl": 100_000})
    assert reply.status == 422, reply.body
    assert "renewBefore: 120000" in reply.body["message"] and "(100000 ms" in reply.body["message"]
    reply = await api.put(path, doc | {"renewBefore": 600_000})
    assert reply.status == 422, reply.body
    after = await api.get(path)
    assert after.status == 200 and after.body == doc

