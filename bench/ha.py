"""High availability (issue 24): a failover to a promoted standby, and /metrics at a large store.

failover: a primary and its synchronous streaming standby (tests.pg: initdb, pg_basebackup
-R, `synchronous_standby_names = '*'`), one token-shim on the multi-host URL of both
(`target_session_attrs=read-write`), WRITERS concurrent token creations; the primary is
killed (SIGKILL to every process of it) and the standby promoted PROMOTE_AFTER seconds
later. Measured per round: seconds from the promotion to the first 201 of a request sent
after it (and from the crash, in the notes), requests refused meanwhile (503 with
Retry-After; a 500 fails the round), and acknowledged tokens that do not authenticate
afterwards (must be 0).

metrics: a store seeded with `plan.large` tokens on each backend; the median time of
SCRAPES authenticated /metrics scrapes once the first count is in, against the full count
of the table that every scrape used to run (the same SQL, timed directly): the ratio is
what serving the last count with its age saves.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import time

import aiohttp
import asyncpg

from bench import contenders as c
from bench import seed
from bench.context import Context
from bench.figures import SHIM
from bench.procs import call
from bench.tools import ROOT, log
from shim.metrics import COUNT_MAX_AGE, SMALL_STORE

WRITERS = 8
BEFORE_CRASH = 1.0  # seconds of writes on the primary
PROMOTE_AFTER = 1.0  # seconds with no primary at all
AFTER_PROMOTION = 20  # 201s wanted after the promotion before the round ends
BOUND = 60.0  # seconds: the longest a round may wait for writes to resume
SCRAPES = 5
KEYS = ("ha.failover_resume", "ha.failover_refused", "ha.failover_lost")


def measure(ctx: Context) -> None:
    with ctx.group("failover to a promoted standby (PostgreSQL)", *KEYS):
        for round_ in range(ctx.plan.rounds):
            _failover(ctx, round_)
    for backend in SHIM:
        with ctx.group(f"/metrics at {ctx.plan.large:,} tokens ({backend})",
                       f"ha.scrape.{backend}", f"ha.count.{backend}"):
            _metrics(ctx, backend)


def _failover(ctx: Context, round_: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.pg import start_server, start_standby

    primary = start_server({"synchronous_standby_names": "*"})
    standby = None
    try:
        standby = start_standby(primary)
        asyncio.run(_until_synchronous(primary))
        name = primary.create_database().rsplit("/", 1)[1]
        url = (f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/"
               f"{name}?target_session_attrs=read-write")
        with c.Shim(f"ha-failover-{round_}", url, ctx.logdir, ctx.layout.server) as shim:
            admin = shim.admin_token()
            run = asyncio.run(_write_through(shim.url, admin, primary, standby))
            lost = sum(call("GET", f"{shim.url}/v3", bearer=t)[0] != 200 for t in run["acked"])
        if run["bad"]:
            raise RuntimeError(f"statuses other than 201 and 503: {sorted(run['bad'])}")
        ctx.add("ha.failover_resume", run["resumed"] - run["promoted"])
        ctx.add("ha.failover_refused", run["refused"])
        ctx.add("ha.failover_lost", lost)
        ctx.note("ha.failover_resume", f"round {round_ + 1}: first write "
                 f"{run['resumed'] - run['crashed']:.2f} s after the crash, "
                 f"{len(run['acked'])} acknowledged")
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()


async def _until_synchronous(primary) -> None:
    conn = await asyncpg.connect(primary.url())
    try:
        deadline = time.monotonic() + 30
        while await conn.fetchval("SELECT count(*) FROM pg_stat_replication"
                                  " WHERE sync_state = 'sync'") != 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the standby never became synchronous")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def _write_through(url: str, admin: str, primary, standby) -> dict:
    run = {"acked": [], "refused": 0, "bad": set(), "promoted": 0.0, "resumed": None}
    stop = asyncio.Event()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=BOUND),
                                     headers={"Authorization": f"Bearer {admin}"}) as http:
        async def writer() -> None:
            while not stop.is_set():
                sent = time.monotonic()
                async with http.post(url + "/v3/tokens", json={}) as resp:
                    body = await resp.json()
                if resp.status == 201:
                    run["acked"].append(body["token"])
                    if run["promoted"] and sent >= run["promoted"] and run["resumed"] is None:
                        run["resumed"] = time.monotonic()
                elif resp.status == 503 and resp.headers.get("Retry-After"):
                    run["refused"] += 1
                    await asyncio.sleep(0.05)
                else:
                    run["bad"].add(resp.status)

        writers = [asyncio.create_task(writer()) for _ in range(WRITERS)]
        await asyncio.sleep(BEFORE_CRASH)
        primary.crash()
        run["crashed"] = time.monotonic()
        await asyncio.sleep(PROMOTE_AFTER)
        await asyncio.to_thread(standby.promote)
        run["promoted"] = time.monotonic()
        before = len(run["acked"])
        while len(run["acked"]) - before < AFTER_PROMOTION:
            if time.monotonic() - run["promoted"] > BOUND:
                stop.set()
                raise RuntimeError(f"writes did not resume within {BOUND:.0f} s")
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.gather(*writers)
    return run


def _metrics(ctx: Context, backend: str) -> None:
    size = ctx.plan.large
    db = ctx.database(backend, "ha-metrics")
    with c.Shim(f"ha-metrics-{backend}-bootstrap", db, ctx.logdir, ctx.layout.server):
        pass  # migrations and the admin user
    log(f"  seeding {size:,} tokens: {seed.seed(db, size):.1f} s")
    with c.Shim(f"ha-metrics-{backend}", db, ctx.logdir, ctx.layout.server) as shim:
        admin = shim.admin_token()
        _until_counted(shim.url, admin)
        for _ in range(ctx.plan.rounds):
            ctx.add(f"ha.scrape.{backend}", _scrape_ms(shim.url, admin))
            ctx.add(f"ha.count.{backend}", _count_ms(db))
    ctx.note(f"ha.scrape.{backend}", f"median of {SCRAPES} scrapes per round; above "
             f"{SMALL_STORE:,} tokens the count is redone in the background once older than "
             f"{COUNT_MAX_AGE:.0f} s")


def _until_counted(url: str, admin: str, timeout: float = 600.0) -> None:
    """The first count starts at start-up; at ten million tokens it takes seconds."""
    deadline = time.monotonic() + timeout
    while b"token_shim_tokens{" not in call("GET", url + "/metrics", bearer=admin)[1]:
        if time.monotonic() > deadline:
            raise RuntimeError("/metrics never showed token counts")
        time.sleep(0.5)


def _scrape_ms(url: str, admin: str) -> float:
    times = []
    for _ in range(SCRAPES):
        began = time.perf_counter()
        status, _ = call("GET", url + "/metrics", bearer=admin)
        times.append((time.perf_counter() - began) * 1000)
        if status != 200:
            raise RuntimeError(f"/metrics: {status}")
    return statistics.median(times)


def _count_ms(db: str) -> float:
    """The full count a scrape used to run: shim.store.sql's, on the database directly."""
    sys.path.insert(0, str(ROOT))
    from shim.store import sql
    from shim.store.factory import sqlite_path

    text, params = sql.count_tokens_by_kind(time.time_ns() // 1_000_000, 0, 0)
    began = time.perf_counter()
    if db.startswith("sqlite:"):
        conn = sqlite3.connect(sqlite_path(db))
        try:
            conn.execute(text, params).fetchall()
        finally:
            conn.close()
    else:
        asyncio.run(_pg_count(db, sql.numbered(text), params))
    return (time.perf_counter() - began) * 1000


async def _pg_count(db: str, text: str, params: list) -> None:
    conn = await asyncpg.connect(db)
    try:
        await conn.fetch(text, *params)
    finally:
        await conn.close()
