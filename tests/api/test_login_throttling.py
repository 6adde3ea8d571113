"""Failed logins back off per username and per client address; time is the test's clock."""

import pytest

PASSWORD = "carol-password-1"


@pytest.fixture
async def carol(api):
    """A user nobody has logged in as yet (a login would trust this client's address)."""
    made = await api.post("/v3/users", {"username": "carol", "password": PASSWORD})
    assert made.status == 201
    return "carol"


async def login(api, username: str, password: str):
    return await api.login(username, password)


async def test_failures_past_the_burst_get_429_with_retry_after(api, carol):
    for _ in range(6):  # 5 free failures, the 6th starts a 1 s block
        assert (await login(api, carol, "wrong")).status == 401
    refused = await login(api, carol, PASSWORD)
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"
    assert refused.body["code"] == "TooManyRequests" and refused.body["status"] == 429


async def test_the_legit_user_gets_in_once_the_window_has_passed(api, carol, clock):
    for _ in range(6):
        await login(api, carol, "wrong")
    assert (await login(api, carol, PASSWORD)).status == 429
    clock.advance(1000)
    assert (await login(api, carol, PASSWORD)).status == 201


async def test_the_wait_doubles_per_failure_and_stops_at_the_cap(make_api, config, clock):
    api = await make_api(config, login_throttle_user_burst=1, login_throttle_max=8)
    await api.post("/v3/users", {"username": "dan", "password": "dan-password-12"})
    waits = []
    await login(api, "dan", "wrong")  # the one free failure
    for _ in range(6):
        assert (await login(api, "dan", "wrong")).status == 401
        refused = await login(api, "dan", "wrong")
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1] * 1000)
    assert waits == [1, 2, 4, 8, 8, 8]


async def test_hammering_during_a_block_does_not_extend_it(api, carol, clock):
    for _ in range(6):
        await login(api, carol, "wrong")
    for _ in range(20):
        assert (await login(api, carol, "wrong")).status == 429
    clock.advance(1000)
    assert (await login(api, carol, PASSWORD)).status == 201


async def test_a_successful_login_clears_the_failures_of_the_username(api, carol):
    for _ in range(4):
        await login(api, carol, "wrong")
    assert (await login(api, carol, PASSWORD)).status == 201
    for _ in range(4):
        assert (await login(api, carol, "wrong")).status == 401


async def test_one_address_guessing_many_usernames_is_throttled(make_api, config):
    api = await make_api(config, login_throttle_ip_burst=3)
    for name in ("u1", "u2", "u3", "u4"):
        assert (await login(api, name, "guess")).status == 401
    refused = await login(api, "admin", "admin-password-1")
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"


async def test_failed_logins_are_forgotten_after_the_decay(make_api, config, clock):
    api = await make_api(config, login_throttle_decay=60)
    await api.post("/v3/users", {"username": "erin", "password": "erin-password-1"})
    for _ in range(5):
        await login(api, "erin", "wrong")
    clock.advance(5 * 60_000)
    for _ in range(5):
        assert (await login(api, "erin", "wrong")).status == 401


async def test_guessing_the_current_password_in_changepassword_is_throttled(api):
    user = await api.new_user("frank", "frank-password-1")
    body = {"currentPassword": "guess", "newPassword": "frank-password-2"}
    statuses = [(await user.post("/v3/users?action=changepassword", body)).status
                for _ in range(8)]
    assert statuses[:6] == [422] * 6 and statuses[6:] == [429, 429]
