"""Replay issue 13's login attacks (items 1, 3, 8, 9, 11) against in-process servers.

SQLite, real sockets, one line per attack; bounded (well under a minute). Run it
from a checkout to measure that checkout:
    .venv/bin/python scripts/measure-login-attacks.py
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import tempfile
import time

import aiohttp
from aiohttp import web

from shim.app import create_app
from shim.config import Config

LOGIN = "/v3-public/localProviders/local?action=login"
ADMIN_PASSWORD = "admin-password-1"


class Server:
    """A server on a fresh SQLite file and a client session; `admin` is a logged-in bearer."""

    def __init__(self, **options) -> None:
        known = {f.name for f in dataclasses.fields(Config)}  # older checkouts lack some
        self.config = Config(db=f"sqlite:///{tempfile.mkdtemp()}/m.db", audit_log="off",
                             bootstrap_password=ADMIN_PASSWORD, log_level="error",
                             **{k: v for k, v in options.items() if k in known})

    async def __aenter__(self) -> "Server":
        self.runner = web.AppRunner(create_app(self.config), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.admin = (await self.login("admin", ADMIN_PASSWORD))[1]["token"]
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()
        await self.runner.cleanup()

    async def call(self, method: str, path: str, body=None, bearer: str | None = None):
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    async def login(self, username: str, password: str):
        return await self.call("POST", LOGIN, {"username": username, "password": password})

    async def new_user(self, username: str, password: str, **extra) -> dict:
        body = {"username": username, "password": password, **extra}
        return (await self.call("POST", "/v3/users", body, self.admin))[1]


def counts(statuses: list[int]) -> str:
    return " ".join(f"{s}×{statuses.count(s)}" for s in sorted(set(statuses)))


async def login_race() -> None:
    async with Server() as server:
        await server.new_user("carol", "carol-password-1")
        started = time.monotonic()
        replies = await asyncio.gather(*[server.login("carol", "wrong") for _ in range(199)],
                                       server.login("carol", "carol-password-1"))
        statuses = [status for status, _ in replies]
        print(f"item 1  199 wrong logins + the right one at once: {counts(statuses)};"
              f" the right one: {statuses[-1]} ({time.monotonic() - started:.1f} s)")


async def changepassword_race() -> None:
    async with Server() as server:
        await server.new_user("frank", "frank-password-1")
        bearer = (await server.login("frank", "frank-password-1"))[1]["token"]
        body = {"currentPassword": "guess", "newPassword": "frank-password-2"}
        replies = await asyncio.gather(*[
            server.call("POST", "/v3/users?action=changepassword", body, bearer)
            for _ in range(40)])
        print(f"item 1  40 wrong changepassword at once: {counts([s for s, _ in replies])}")


async def failure_paths() -> None:
    async with Server(login_throttle_ip_burst=1000, login_throttle_user_burst=1000) as server:
        await server.call("POST", "/terraform/v1/users", {"username": "ci-bot"}, server.admin)
        for username in ("ci-bot", "nobody-here"):
            times = []
            for _ in range(15):
                started = time.perf_counter()
                status, _ = await server.login(username, "not-the-password")
                times.append(time.perf_counter() - started)
            print(f"item 8  failed login as {username}: {status},"
                  f" median {statistics.median(times) * 1000:.1f} ms")
        hank = await server.new_user("hank", "hank-password-1")
        await server.call("PUT", f"/v3/users/{hank['id']}", {"enabled": False}, server.admin)
        right = (await server.login("hank", "hank-password-1"))[0]
        wrong = (await server.login("hank", "wrong-password"))[0]
        print(f"item 9  disabled user: right password -> {right}, wrong -> {wrong}")
        kim = await server.new_user("kim", "kim-password-12", mustChangePassword=True)
        bearer = (await server.login("kim", "kim-password-12"))[1]["token"]
        status, _ = await server.call("GET", "/v3/tokens", bearer=bearer)
        print(f"item 11 created with mustChangePassword: echoed {kim['mustChangePassword']};"
              f" GET /v3/tokens with its session -> {status}")


async def slow_bodies() -> None:
    async with Server(max_in_flight=20, body_timeout=3) as server:
        slow = []
        for _ in range(20):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 100000\r\n\r\n{".encode())
            await writer.drain()
            slow.append((reader, writer))
        await asyncio.sleep(0.5)
        for at in (0.5, 5.0):
            health = (await server.call("GET", "/healthz"))[0]
            login = (await server.login("admin", ADMIN_PASSWORD))[0]
            print(f"item 3  20 slow bodies, max_in_flight=20, t={at} s:"
                  f" /healthz -> {health}, login -> {login}")
            await asyncio.sleep(4.5)
        got = set()
        for reader, writer in slow:
            try:
                got.add((await asyncio.wait_for(reader.read(12), 0.5)).decode())
            except asyncio.TimeoutError:
                got.add("nothing yet, still open")
            writer.close()
        print(f"item 3  what the slow senders got after 5.5 s: {sorted(got)}")


async def main() -> None:
    for attack in (login_race, changepassword_race, failure_paths, slow_bodies):
        await attack()


if __name__ == "__main__":
    asyncio.run(main())
