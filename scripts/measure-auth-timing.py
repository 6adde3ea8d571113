"""Median time of a refused credential: a known token id with a wrong secret vs an unknown id.

Issue 13.13. Runs an in-process server on SQLite (real socket) and, separately,
calls Authenticator.authenticate directly (no HTTP noise). Usage:
    .venv/bin/python scripts/measure-auth-timing.py [samples] [--hashing]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time

import aiohttp
from aiohttp import web

from shim.app import create_app
from shim.config import Config
from shim.errors import ApiError
from shim.keys import CORE

PASSWORD = "admin-password-1"


async def main(samples: int, hashing: bool) -> None:
    db = f"sqlite:///{tempfile.mkdtemp()}/timing.db"
    app = create_app(Config(db=db, bootstrap_password=PASSWORD, audit_log="off",
                            log_level="warning", token_hashing_default=hashing))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/v3-public/localProviders/local?action=login",
                             json={"username": "admin", "password": PASSWORD}) as r:
            token_id = (await r.json())["token"].split(":")[0]
        wrong = "x" * 54
        cases = {"known id, wrong secret": f"{token_id}:{wrong}",
                 "unknown id": f"token-zzzzz:{wrong}"}
        print(f"hashing={'on' if hashing else 'off'}, {samples} samples each, medians:")
        for name, cred in cases.items():  # warm up both
            for _ in range(200):
                async with http.get(f"{base}/v3", headers={"Authorization": f"Bearer {cred}"}):
                    pass
        times = {name: [] for name in cases}
        for _ in range(samples):  # interleaved, so drift hits both alike
            for name, cred in cases.items():
                t = time.perf_counter()
                async with http.get(f"{base}/v3", headers={"Authorization": f"Bearer {cred}"}) as r:
                    assert r.status == 401
                    await r.read()
                times[name].append(time.perf_counter() - t)
        for name, values in times.items():
            print(f"  HTTP   {name:24s} {statistics.median(values) * 1e6:8.1f} µs")
        auth = app[CORE].auth
        direct = {name: [] for name in cases}
        for _ in range(samples):
            for name, cred in cases.items():
                t = time.perf_counter()
                try:
                    await auth.authenticate(cred, "/v3", int(time.time() * 1000))
                except ApiError:
                    pass
                direct[name].append(time.perf_counter() - t)
        for name, values in direct.items():
            print(f"  direct {name:24s} {statistics.median(values) * 1e6:8.1f} µs")
    await runner.cleanup()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(args[0]) if args else 3000, "--hashing" in sys.argv))
