"""The login budget cannot be multiplied by addresses, nor the password checks by concurrency."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from shim.throttle import address_key
from tests.support import LOGIN


@pytest.mark.parametrize("one,other", [
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"),  # one /64
    ("127.0.0.1", "127.0.0.2"), ("127.0.0.1", "::1"), ("127.8.9.10", "::ffff:127.0.0.1"),
    ("10.0.0.7", "::ffff:10.0.0.7"), ("fe80::1%eth0", "fe80::2"),
])
def test_addresses_one_client_holds_share_one_budget(one, other):
    assert address_key(one) == address_key(other)


@pytest.mark.parametrize("one,other", [
    ("2001:db8:1:2::1", "2001:db8:1:3::1"), ("10.0.0.7", "10.0.0.8"),
])
def test_other_networks_have_their_own_budget(one, other):
    assert address_key(one) != address_key(other)


async def _login_from(api, local: str, username: str) -> int:
    server = api.client.server
    connector = aiohttp.TCPConnector(local_addr=(local, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(f"http://127.0.0.1:{server.port}{LOGIN}",
                                json={"username": username, "password": "guess"}) as resp:
            return resp.status


async def test_another_loopback_address_does_not_get_a_fresh_budget(api):
    for i in range(20):  # the address burst, spent from 127.0.0.1 on 20 usernames
        assert await _login_from(api, "127.0.0.1", f"nobody{i}") == 401
    for local in ("127.0.0.2", "127.0.0.3"):
        assert await _login_from(api, local, "someone-else") == 429


async def test_password_checks_beyond_the_cap_get_a_fast_429(make_api, config):
    """16 guesses at once from an address with budget to spare: the default cap (4) holds."""
    api = await make_api(config, login_throttle_ip_burst=100)
    replies = await asyncio.gather(*(api.login(f"nobody{i}", "guess") for i in range(16)))
    busy = [r for r in replies if r.status == 429]
    assert busy and all(r.headers["Retry-After"] == "1" for r in busy)
    assert "at once" in busy[0].body["message"]
    assert {r.status for r in replies} <= {401, 429}
    assert (await api.login("admin", "admin-password-1")).status == 201  # nothing was counted
