"""Two `token-shim serve` processes on one PostgreSQL database, as behind a load balancer."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import aiohttp
import asyncpg
import pytest

from tests.live import LiveServer, start_logged_in

MAX_TTL = "auth-token-max-ttl-minutes"
REFRESH_INTERVAL = 2.0  # cache_refresh_interval of both replicas: the staleness bound
WRITERS = 50  # concurrent writes per replica
# README: a user deactivated on one replica is refused by all within 1 s at worst
# (cached rows); the margin is for the check itself on a busy machine.
ROWS_BOUND = 1.0 + 0.5


@pytest.fixture(scope="module")
def db(pg_server) -> str:
    """A fresh database, migrated once by `token-shim migrate` as the README says."""
    url = pg_server.create_database()
    subprocess.run([sys.executable, "-m", "shim", "migrate", "--db", url], check=True, timeout=60)
    return url


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, db):
    """Replicas A and B, started together (both race to bootstrap the admin).

    Shared by the tests of this module (starting them is the slow part), so no
    test relies on a default or on what another test wrote.
    """
    env = {"TOKEN_SHIM_CACHE_REFRESH_INTERVAL": str(REFRESH_INTERVAL)}
    workdir = tmp_path_factory.mktemp("replicas")
    servers = start_logged_in([LiveServer(workdir, db=db, env=env) for _ in range(2)])
    yield servers
    for server in servers:
        server.stop()


def fetch(url: str, query: str, *args) -> list:
    async def run():
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def new_token(server: LiveServer, **body) -> dict:
    status, made = server.call("POST", "/v3/tokens", body, bearer=server.admin)
    assert status == 201, made
    return made


def authenticates(server: LiveServer, bearer: str) -> bool:
    return server.call("GET", "/v3", bearer=bearer)[0] == 200


def test_a_token_created_on_one_replica_authenticates_on_the_other_at_once(replicas):
    a, b = replicas
    made = new_token(a, description="from a")
    assert authenticates(b, made["token"])
    assert b.call("GET", f"/v3/tokens/{made['id']}", bearer=b.admin)[1]["description"] == "from a"


def test_a_max_ttl_lowered_on_one_replica_clamps_new_tokens_on_the_other_within_the_bound(replicas):
    a, b = replicas
    delays = []
    for minutes in (5, 4, 3, 2, 1):
        body = {"value": str(minutes)}
        assert a.call("PUT", f"/v3/settings/{MAX_TTL}", body, bearer=a.admin)[0] == 200
        delays.append(_until_clamped(b, minutes * 60_000))
    print(f"\nmax TTL propagation A->B via NOTIFY: "
          f"{', '.join(f'{d * 1000:.1f}' for d in delays)} ms (bound {REFRESH_INTERVAL} s)")
    assert max(delays) < REFRESH_INTERVAL / 2  # NOTIFY, not the periodic re-read


def test_a_write_that_sends_no_notification_is_seen_within_the_refresh_interval(replicas, db):
    a, b = replicas
    fetch(db, "UPDATE settings SET value = '7', version = version + 1 WHERE name = $1", MAX_TTL)
    fetch(db, "INSERT INTO settings (name, value) VALUES ($1, '7') ON CONFLICT DO NOTHING", MAX_TTL)
    delay = _until_clamped(b, 7 * 60_000, timeout=REFRESH_INTERVAL + 1)
    print(f"\nmax TTL written behind the replicas' back, seen after {delay * 1000:.0f} ms"
          f" (bound {REFRESH_INTERVAL} s)")
    assert delay <= REFRESH_INTERVAL + 0.5


def _until_clamped(server: LiveServer, ttl: int, timeout: float = 10.0) -> float:
    """Seconds until a token created on `server` gets `ttl` as its clamped TTL (>= one request)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if new_token(server, ttl=0)["ttl"] == ttl:
            return time.monotonic() - start
    raise AssertionError(f"new tokens on {server.url} not clamped to {ttl} after {timeout} s")


def test_a_user_disabled_on_one_replica_is_refused_by_the_other(replicas):
    a, b = replicas
    status, user = a.call("POST", "/v3/users", {"username": "ann", "password": "ann-password-1"},
                          bearer=a.admin)
    assert status == 201
    session = b.login("ann", "ann-password-1")
    assert authenticates(b, session)
    assert a.call("PUT", f"/v3/users/{user['id']}", {"enabled": False}, bearer=a.admin)[0] == 200
    assert _seconds_until(lambda: not authenticates(b, session)) <= ROWS_BOUND
    assert a.call("PUT", f"/v3/users/{user['id']}", {"enabled": True}, bearer=a.admin)[0] == 200
    assert _seconds_until(lambda: authenticates(b, session)) <= ROWS_BOUND


def _seconds_until(condition, timeout: float = 10.0) -> float:
    """Seconds until `condition()` holds (checked at least once), or an AssertionError."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - start


def test_token_hashing_enabled_on_one_replica_takes_effect_on_the_other(replicas, db):
    a, b = replicas
    old = [new_token(a, description="old a"), new_token(b, description="old b")]
    status, _ = a.call("PUT", "/v3/features/token-hashing", {"value": True}, bearer=a.admin)
    assert status == 200
    fresh = new_token(b, description="right after")  # no wait: B may not have heard yet
    secrets = dict(fetch(db, "SELECT id, secret FROM tokens"))
    assert all(secret.startswith("$2:") for secret in secrets.values())
    assert secrets[fresh["id"]].startswith("$2:")
    for server in (a, b):
        assert all(authenticates(server, t["token"]) for t in [*old, fresh])
    assert b.call("GET", "/v3/features/token-hashing", bearer=b.admin)[1]["value"] is True


async def test_concurrent_writes_on_two_replicas_lose_no_update(replicas):
    a, b = replicas
    token = new_token(a, description="contended")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {a.admin}"}) as http:
        setting, tok = f"/v3/settings/{MAX_TTL}", f"/v3/tokens/{token['id']}"
        _, v0 = await _get(http, a.url + setting)
        servers = [a, b] * WRITERS
        setting_writes = [_put(http, s.url + setting, {"value": str(1000 + n)})
                          for n, s in enumerate(servers)]
        token_writes = [_put(http, s.url + tok, {"description": f"w-{n}"})
                        for n, s in enumerate(servers)]
        start = time.monotonic()
        results = await asyncio.gather(*setting_writes, *token_writes)
        elapsed = time.monotonic() - start
        assert {status for status, _ in results} == {200}
        acked_values = {body["value"] for _, body in results[:len(servers)]}
        acked_descriptions = {body["description"] for _, body in results[len(servers):]}
        for server in (a, b):
            final_setting, v1 = await _get(http, server.url + setting)
            final_token, t1 = await _get(http, server.url + tok)
            assert final_setting["value"] in acked_values
            assert final_token["description"] in acked_descriptions
            assert (v1, t1) == (v0 + len(servers), 1 + len(servers))  # each write counted once
    print(f"\n{4 * WRITERS} concurrent writes on 2 replicas: all 200, none lost, {elapsed:.2f} s")


async def test_a_stale_if_match_is_412_on_any_replica_and_one_of_racing_writers_wins(replicas):
    a, b = replicas
    token_path = f"/v3/tokens/{new_token(a)['id']}"
    resources = [(f"/v3/settings/{MAX_TTL}", lambda n: {"value": str(100 + n)}),
                 (token_path, lambda n: {"description": f"r{n}"})]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {a.admin}"}) as http:
        for path, body in resources:
            _, version = await _get(http, a.url + path)
            assert (await _put(http, b.url + path, body(0), f'"{version}"'))[0] == 200
            status, error = await _put(http, a.url + path, body(1), f'"{version}"')
            assert status == 412 and error["code"] == "PreconditionFailed"
            _, version = await _get(http, b.url + path)
            racing = [_put(http, s.url + path, body(n), f'"{version}"')
                      for n, s in enumerate([a, b] * 5, start=10)]
            assert sorted(s for s, _ in await asyncio.gather(*racing)) == [200] + [412] * 9


async def test_idle_and_session_raced_on_two_replicas_keep_idle_within_session(replicas):
    a, b = replicas
    idle = "/v3/settings/auth-user-session-idle-ttl-minutes"
    session = "/v3/settings/auth-user-session-ttl-minutes"
    # The v3 face accepts a session TTL below idle (as Rancher); the Terraform face's
    # setting write keeps both directions strict, so the race is run through it.
    tf_session = "/terraform/v1/settings/auth-user-session-ttl-minutes"
    lowered = {"name": "auth-user-session-ttl-minutes", "value": "100"}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {a.admin}"}) as http:
        for _ in range(5):
            await _put(http, a.url + session, {"value": "960"})
            await _put(http, a.url + idle, {"value": "50"})
            results = await asyncio.gather(_put(http, a.url + idle, {"value": "900"}),
                                           _put(http, b.url + tf_session, lowered))
            assert sorted(status for status, _ in results) == [200, 422]
            final = [int((await _get(http, b.url + path))[0]["value"]) for path in (idle, session)]
            assert final[0] <= final[1], final


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[dict, int]:
    async with http.get(url) as resp:
        assert resp.status == 200
        return await resp.json(), int(resp.headers["ETag"].strip('"'))


async def _put(http: aiohttp.ClientSession, url: str, body: dict, tag: str | None = None):
    headers = {"If-Match": tag} if tag else {}
    async with http.put(url, json=body, headers=headers) as resp:
        return resp.status, await resp.json()
