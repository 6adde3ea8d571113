"""Failed logins back off per username and per client address; time is the test's clock."""

import asyncio

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
    for _ in range(5):  # 5 attempts are checked, the 5th failure starts a 1 s block
        assert (await login(api, carol, "wrong")).status == 401
    refused = await login(api, carol, PASSWORD)
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"
    assert refused.body["code"] == "TooManyRequests" and refused.body["status"] == 429


async def test_the_legit_user_gets_in_once_the_window_has_passed(api, carol, clock):
    for _ in range(5):
        await login(api, carol, "wrong")
    assert (await login(api, carol, PASSWORD)).status == 429
    clock.advance(1000)
    assert (await login(api, carol, PASSWORD)).status == 201


async def test_the_wait_doubles_per_failure_and_stops_at_the_cap(make_api, config, clock):
    api = await make_api(config, login_throttle_user_burst=1, login_throttle_max=8)
    await api.post("/v3/users", {"username": "dan", "password": "dan-password-12"})
    waits = []
    for _ in range(6):  # the one attempt of the burst, then one per block
        assert (await login(api, "dan", "wrong")).status == 401
        refused = await login(api, "dan", "wrong")
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1] * 1000)
    assert waits == [1, 2, 4, 8, 8, 8]


async def test_hammering_during_a_block_does_not_extend_it(api, carol, clock):
    for _ in range(5):
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
    for name in ("u1", "u2", "u3"):
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
                for _ in range(7)]
    assert statuses[:5] == [422] * 5 and statuses[5:] == [429, 429]


async def test_concurrent_guesses_never_check_more_than_the_burst(api, carol):
    """59 wrong guesses and the right one at once: at most 5 reach the password check."""
    attempts = [login(api, carol, "wrong") for _ in range(59)] + [login(api, carol, PASSWORD)]
    replies = await asyncio.gather(*attempts)
    checked = [r.status for r in replies if r.status != 429]
    assert len(checked) <= 5 and set(checked) <= {401, 201}
    assert all(r.headers.get("Retry-After") for r in replies if r.status == 429)


async def test_concurrent_guesses_from_one_address_never_check_more_than_its_burst(api):
    replies = await asyncio.gather(*(login(api, f"nobody{i}", "guess") for i in range(60)))
    assert sum(r.status == 401 for r in replies) <= 20
    assert sum(r.status == 429 for r in replies) >= 40


async def test_concurrent_changepassword_guesses_never_check_more_than_the_burst(api):
    user = await api.new_user("gina", "gina-password-1")
    body = {"currentPassword": "guess", "newPassword": "gina-password-2"}
    replies = await asyncio.gather(
        *(user.post("/v3/users?action=changepassword", body) for _ in range(40)))
    assert sum(r.status != 429 for r in replies) <= 5
    assert all(r.status in (422, 429) for r in replies)


async def test_a_success_releases_its_reservation_on_the_address(make_api, config):
    """A login that succeeds does not count against the address it came from."""
    api = await make_api(config, login_throttle_ip_burst=3)
    await api.post("/v3/users", {"username": "hal", "password": "hal-password-1"})
    for _ in range(5):
        assert (await login(api, "hal", "hal-password-1")).status == 201
    assert (await login(api, "nobody", "guess")).status == 401


@pytest.fixture(params=["sqlite-file", "postgres"])
def shared_db(request, config) -> str:
    """One database two servers share: processes on one SQLite file (`serve --workers`),
    or replicas on one PostgreSQL database. The throttle's counts live in it."""
    if request.param == "sqlite-file":
        return config.db
    return request.getfixturevalue("pg_server").create_database()


async def test_servers_on_one_database_check_one_burst_of_concurrent_guesses(
        make_api, config, shared_db):
    a, b = await make_api(config, db=shared_db), await make_api(config, db=shared_db)
    await a.post("/v3/users", {"username": "ivy", "password": "ivy-password-12"})
    replies = await asyncio.gather(*(api.login("ivy", "wrong") for api in (a, b) * 30))
    assert sum(r.status == 401 for r in replies) <= 5
    assert {r.status for r in replies} == {401, 429}
    assert (await b.login("ivy", "ivy-password-12")).status == 429


async def test_a_success_on_one_server_clears_the_username_on_the_other(make_api, config,
                                                                       shared_db):
    a, b = await make_api(config, db=shared_db), await make_api(config, db=shared_db)
    await a.post("/v3/users", {"username": "jo", "password": "jo-password-123"})
    for _ in range(4):
        assert (await a.login("jo", "wrong")).status == 401
    assert (await b.login("jo", "jo-password-123")).status == 201
    for _ in range(4):
        assert (await a.login("jo", "wrong")).status == 401
