"""High availability on PostgreSQL, with real servers: a primary and its synchronous streaming
standby (initdb, pg_basebackup -R, pg_ctl promote), two `token-shim serve` replicas on the
libpq multi-host URL of both; and a PostgreSQL restart under a replica.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import aiohttp
import asyncpg
import pytest

from tests.live import LiveServer, call_on_new_connection, start_logged_in
from tests.pg import start_server, start_standby

WRITERS = 8  # concurrent token creations, spread over both replicas
BEFORE_CRASH = 1.0  # seconds of writes before the primary is killed
BEFORE_PROMOTION = 1.0  # seconds with no primary at all
AFTER_PROMOTION = 20  # successful writes wanted after the promotion
BOUND = 30.0  # seconds: no request may take longer, and writes must resume within it
ROWS_BOUND = 1.0 + 0.5  # README: a revocation reaches every replica within 1 s (+ margin)
LOGIN = "/v3-public/localProviders/local?action=login"
SYNC = {"synchronous_standby_names": "*", "synchronous_commit": "on"}


@dataclass
class Failover:
    replicas: list[LiveServer]
    acked: list[dict] = field(default_factory=list)  # 201s: every one must survive
    statuses: list[tuple[int, str | None]] = field(default_factory=list)  # (status, Retry-After)
    slowest: float = 0.0
    crashed_at: float = 0.0
    promoted_at: float = 0.0
    resumed_at: float | None = None  # first 201 sent after the promotion


def multi_host_url(primary, standby, dbname: str) -> str:
    return (f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{dbname}"
            "?target_session_attrs=read-write")


async def _sync_standby(primary) -> None:
    """Until the standby streams and is synchronous: from then on a commit waits for it."""
    conn = await asyncpg.connect(primary.url())
    try:
        deadline = time.monotonic() + 30
        while await conn.fetchval("SELECT count(*) FROM pg_stat_replication"
                                  " WHERE sync_state = 'sync'") != 1:
            assert time.monotonic() < deadline, primary.log()
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def failover(tmp_path_factory):
    """Writes under way on both replicas; the primary killed (-9, every process), the standby
    promoted; writes until AFTER_PROMOTION succeed. Then the tests look at what survived."""
    primary = start_server(SYNC)
    standby = None
    replicas: list[LiveServer] = []
    try:
        standby = start_standby(primary)
        asyncio.run(_sync_standby(primary))
        url = multi_host_url(primary, standby, primary.create_database().rsplit("/", 1)[1])
        # admin creates well over a thousand tokens here: above the per-user cap's default
        env = {"TOKEN_SHIM_CACHE_REFRESH_INTERVAL": "2", "TOKEN_SHIM_MAX_TOKENS_PER_USER": "0"}
        workdir = tmp_path_factory.mktemp("failover")
        replicas = start_logged_in([LiveServer(workdir, db=url, env=env) for _ in range(2)])
        run = Failover(replicas)
        asyncio.run(_write_through_failover(run, primary, standby))
        yield run
    finally:
        for server in replicas:
            server.stop()
        if standby is not None:
            standby.stop()
        primary.stop()


async def _write_through_failover(run: Failover, primary, standby) -> None:
    stop = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=BOUND + 5)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async def writer(n: int) -> None:
            server = run.replicas[n % 2]
            while not stop.is_set():
                sent = time.monotonic()
                async with http.post(server.url + "/v3/tokens", json={"description": f"w{n}"},
                                     headers={"Authorization": f"Bearer {server.admin}"}) as resp:
                    body = await resp.json()
                    run.statuses.append((resp.status, resp.headers.get("Retry-After")))
                run.slowest = max(run.slowest, time.monotonic() - sent)
                if resp.status == 201:
                    run.acked.append(body)
                    if run.promoted_at and sent >= run.promoted_at and run.resumed_at is None:
                        run.resumed_at = time.monotonic()
                else:
                    await asyncio.sleep(0.05)

        writers = [asyncio.create_task(writer(n)) for n in range(WRITERS)]
        await asyncio.sleep(BEFORE_CRASH)
        primary.crash()
        run.crashed_at = time.monotonic()
        await asyncio.sleep(BEFORE_PROMOTION)
        await asyncio.to_thread(standby.promote)
        run.promoted_at = time.monotonic()
        deadline = run.promoted_at + BOUND
        acked_at_promotion = len(run.acked)
        while len(run.acked) - acked_at_promotion < AFTER_PROMOTION:
            assert time.monotonic() < deadline, "writes did not resume after the promotion"
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*writers)


def authenticates(server: LiveServer, bearer: str) -> bool:
    return server.call("GET", "/v3", bearer=bearer)[0] == 200


def test_writes_resume_on_the_promoted_standby_within_seconds(failover):
    assert failover.resumed_at is not None
    resumed = failover.resumed_at - failover.promoted_at
    failed = sum(status != 201 for status, _ in failover.statuses)
    print(f"\nfailover: first write {resumed:.2f} s after the promotion"
          f" ({failover.resumed_at - failover.crashed_at:.2f} s after the crash);"
          f" {failed} of {len(failover.statuses)} requests refused meanwhile;"
          f" {len(failover.acked)} acknowledged")
    assert resumed < 10


def test_every_request_during_the_failover_was_201_or_503_with_retry_after(failover):
    assert {status for status, _ in failover.statuses} <= {201, 503}
    assert all(after == "2" for status, after in failover.statuses if status == 503)
    assert 503 in {status for status, _ in failover.statuses}  # the outage was seen
    assert failover.slowest < BOUND


def test_every_acknowledged_token_authenticates_on_both_replicas_after_the_failover(failover):
    assert len(failover.acked) > AFTER_PROMOTION  # some before the crash, some after
    for server in failover.replicas:
        lost = [t["id"] for t in failover.acked if not authenticates(server, t["token"])]
        assert lost == [], f"{len(lost)} acknowledged tokens lost on {server.url}"


def test_a_revocation_after_the_failover_reaches_the_other_replica(failover):
    a, b = failover.replicas
    status, made = a.call("POST", "/v3/tokens", {"description": "revoked"}, bearer=a.admin)
    assert status == 201
    assert authenticates(b, made["token"])  # cached on B, if B caches it
    assert a.call("DELETE", f"/v3/tokens/{made['id']}", bearer=a.admin)[0] == 204
    start = time.monotonic()
    while authenticates(b, made["token"]):
        assert time.monotonic() - start < ROWS_BOUND
        time.sleep(0.02)


def test_a_postgresql_restart_answers_503_with_retry_after_then_recovers(tmp_path):
    database = start_server()
    live = LiveServer(tmp_path, db=database.create_database())
    try:
        live.start()
        admin = live.login()
        database.shut_down()
        started = time.monotonic()
        login = {"username": "admin", "password": "admin-password-1"}
        for method, path, body in [("POST", "/v3/tokens", {}), ("GET", "/v3", None),
                                   ("GET", "/v3/settings", None), ("POST", LOGIN, login)]:
            status, reply, headers = _call(live, method, path, body, admin)
            assert (status, headers.get("Retry-After")) == (503, "2"), reply
            assert reply["code"] == "ServiceUnavailable"
        assert time.monotonic() - started < BOUND
        assert _call(live, "GET", "/healthz")[0] == 200  # alive: not restarted by a prober
        assert _call(live, "GET", "/readyz")[:2] == (503, {"status": "unavailable"})
        database.restart()
        deadline = time.monotonic() + BOUND
        while (status := _call(live, "POST", "/v3/tokens", {}, admin)[0]) != 201:
            assert status == 503 and time.monotonic() < deadline
            time.sleep(0.1)
        assert _call(live, "GET", "/readyz")[0] == 200
        assert "ERROR shim" not in live.log()  # no request failed with a 500
        refused = [json.loads(line) for line in live.log().splitlines()
                   if line.startswith('{"time"') and '"status":503' in line]
        assert [(e["event"], e["outcome"], e["reason"]) for e in refused] == [
            ("login", "failure", "store-unavailable")]  # audit lines keep flowing
    finally:
        live.stop()
        database.stop()


def _call(live: LiveServer, method: str, path: str, body=None, bearer=None):
    """(status, parsed body, headers)."""
    status, raw, headers = call_on_new_connection(live.port, method, path, body, bearer,
                                                  timeout=BOUND)
    return status, json.loads(raw or b"null"), dict(headers)
