"""Issue 13 items 1, 3, 8, 9, 11 replayed against an in-process server (SQLite, real sockets).

Prints one line per attack. Bounded: about 30 s. Usage: .venv/bin/python scripts/measure-login-attacks.py
"""
import asyncio, dataclasses, statistics, sys, tempfile, time
import aiohttp
from aiohttp import web
from shim.app import create_app
from shim.config import Config
LOGIN = "/v3-public/localProviders/local?action=login"
PW = "admin-password-1"

async def serve(**kw):
    d = tempfile.mkdtemp()
    fields = {f.name for f in dataclasses.fields(Config)}
    cfg = Config(db=f"sqlite:///{d}/m.db", bootstrap_password=PW, audit_log="off", log_level="error",
                 **{k: v for k, v in kw.items() if k in fields})
    runner = web.AppRunner(create_app(cfg), access_log=None); await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0); await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

async def post(http, url, body, bearer=None):
    h = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    async with http.post(url, json=body, headers=h) as r:
        return r.status, await r.json()

async def main():
    runner, base = await serve()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        _, adm = await post(http, base + LOGIN, {"username": "admin", "password": PW})
        a = adm["token"]
        await post(http, base + "/v3/users", {"username": "carol", "password": "carol-password-1"}, a)
        t = time.monotonic()
        rs = await asyncio.gather(*[post(http, base + LOGIN, {"username": "carol", "password": "wrong"}) for _ in range(199)],
                                  post(http, base + LOGIN, {"username": "carol", "password": "carol-password-1"}))
        st = [s for s, _ in rs]
        print(f"item1 login: 199 wrong + right at once: 401={st.count(401)} 201={st.count(201)} 429={st.count(429)} right-one={st[-1]} in {time.monotonic()-t:.1f}s")
    await runner.cleanup()
    runner, base = await serve()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        _, adm = await post(http, base + LOGIN, {"username": "admin", "password": PW})
        a = adm["token"]
        await post(http, base + "/v3/users", {"username": "frank", "password": "frank-password-1"}, a)
        _, fr = await post(http, base + LOGIN, {"username": "frank", "password": "frank-password-1"})
        rs = await asyncio.gather(*[post(http, base + "/v3/users?action=changepassword", {"currentPassword": "guess", "newPassword": "frank-password-2"}, fr["token"]) for _ in range(40)])
        st = [s for s, _ in rs]
        print(f"item1 changepassword: 40 wrong at once: 422={st.count(422)} 429={st.count(429)}")
    await runner.cleanup()
    runner, base = await serve(login_throttle_ip_burst=1000, login_throttle_user_burst=1000)
    async with aiohttp.ClientSession() as http:
        _, adm = await post(http, base + LOGIN, {"username": "admin", "password": PW})
        s, u = await post(http, base + "/v3/users", {"username": "hank", "password": "hank-password-1"}, adm["token"])
        async with http.put(base + f"/v3/users/{u['id']}", json={"enabled": False}, headers={"Authorization": f"Bearer {adm['token']}"}) as r: pass
        right = await post(http, base + LOGIN, {"username": "hank", "password": "hank-password-1"})
        wrong = await post(http, base + LOGIN, {"username": "hank", "password": "wrong-password"})
        print(f"item9 disabled user: right password -> {right[0]}, wrong -> {wrong[0]}")
        await post(http, base + "/terraform/v1/users", {"username": "ci-bot"}, adm['token'])
        async def med(user, n=15):
            ts = []
            for _ in range(n):
                t = time.perf_counter(); s, _ = await post(http, base + LOGIN, {"username": user, "password": "nope-nope"}); ts.append(time.perf_counter() - t)
            return s, statistics.median(ts) * 1000
        for u in ("ci-bot", "nobody-here"):
            s, m = await med(u)
            print(f"item8 failed login as {u}: {s}, median {m:.1f} ms")
        s, k = await post(http, base + "/v3/users", {"username": "kim", "password": "kim-password-12", "mustChangePassword": True}, adm["token"])
        _, kl = await post(http, base + LOGIN, {"username": "kim", "password": "kim-password-12"})
        async with http.get(base + "/v3/tokens", headers={"Authorization": f"Bearer {kl['token']}"}) as r:
            print(f"item11 mustChangePassword: create -> {s}, echoed {k.get('mustChangePassword')}; GET /v3/tokens with its session -> {r.status}")
    await runner.cleanup()
    # item 3
    runner, base = await serve(max_in_flight=20, body_timeout=3)
    host, port = base[7:].split(":")
    conns = []
    for _ in range(20):
        r, w = await asyncio.open_connection(host, int(port))
        w.write(f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{".encode()); await w.drain()
        conns.append((r, w))
    await asyncio.sleep(0.5)
    async with aiohttp.ClientSession() as http:
        for at in (0.5, 5):
            async with http.get(base + "/healthz") as r1, http.post(base + LOGIN, json={"username": "admin", "password": PW}) as r2:
                print(f"item3 20 slow bodies, max_in_flight=20, t={at}s: /healthz -> {r1.status}, login -> {r2.status}")
            await asyncio.sleep(4.5)
        heads = []
        for r, w in conns:
            try:
                heads.append((await asyncio.wait_for(r.read(12), 0.5)).decode())
            except Exception as e:
                heads.append(type(e).__name__)
        print(f"item3 what the slow senders got after 5.5 s: {sorted(set(heads))}")
    for _, w in conns: w.close()
    await runner.cleanup()
asyncio.run(main())
