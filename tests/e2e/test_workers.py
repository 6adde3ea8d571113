"""`token-shim serve --workers 2`: one port, two worker processes, every guarantee kept.

Each test runs on SQLite (one file) and on PostgreSQL. Requests go over fresh
connections, which the kernel spreads over the workers (SO_REUSEPORT); the
X-Request-Id a worker generates starts with a prefix of its own, which tells
which worker answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

import aiohttp
import pytest

from tests.live import LiveServer, call_on_new_connection

WORKERS = 2
MAX_TTL = "/v3/settings/auth-token-max-ttl-minutes"
LOGIN = "/v3-public/localProviders/local?action=login"
PREFIX = 12  # hex characters of a worker's request id prefix (shim.middlewares)
# A setting committed by one worker is used by the others after the SQLite poll
# (5 ms) or the PostgreSQL NOTIFY, and one re-read; the rest is margin on a busy machine.
SEEN = 0.05
FRESH = 40  # fresh connections: all on one worker of two has odds 2^-39
SHARED = 1.0  # seconds between a worker's writes of its counters (shim.metrics.SHARE_INTERVAL)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shim.db"
    return request.getfixturevalue("pg_server").create_database()


@pytest.fixture
def server(tmp_path, db):
    live = start_workers(tmp_path, db)
    yield live
    live.stop()


def start_workers(tmp_path, db: str, *args: str, **kw) -> LiveServer:
    """The server once every worker listens (the banner says so), with an admin session."""
    live = LiveServer(tmp_path, "--workers", str(WORKERS), "--log-level", "warning", *args,
                      db=db, **kw)
    live.start()
    try:
        deadline = time.monotonic() + 15
        while f"with {WORKERS} workers" not in live.log():
            assert time.monotonic() < deadline, live.log()
            time.sleep(0.05)
        live.admin = live.login()
    except BaseException:
        live.stop()  # never leave a server behind
        raise
    return live


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def alive(pid: int) -> bool:
    """Whether any thread of the process still runs. A killed process's main thread can be
    a zombie while its other threads (the SQLite checkpoint's) are still exiting, and until
    the last one has, the process's listening socket is open and takes connections, which
    its close then resets."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return False
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    return True
        except FileNotFoundError:
            continue
    return False


def fresh_call(server: LiveServer, method: str, path: str, body=None, bearer=None,
               context: ssl.SSLContext | None = None):
    """(status, parsed body, the answering worker's request id prefix), on a new connection."""
    status, raw, headers = call_on_new_connection(server.port, method, path, body, bearer,
                                                  context=context)
    kind = headers.get("Content-Type", "")
    body = json.loads(raw) if raw and kind.startswith("application/json") else raw.decode()
    return status, body, headers["X-Request-Id"][:PREFIX]


def test_two_workers_serve_one_port_over_fresh_connections(server):
    workers = children(server.proc.pid)
    assert len(workers) == WORKERS and all(alive(pid) for pid in workers)
    replies = [fresh_call(server, "GET", "/v3", bearer=server.admin) for _ in range(FRESH)]
    assert {status for status, _, _ in replies} == {200}
    assert len({worker for _, _, worker in replies}) == WORKERS
    assert f"with {WORKERS} workers (pids {', '.join(map(str, workers))})" in server.log()


def test_one_scrape_counts_the_requests_of_every_worker(server):
    """Each worker writes its counters every second (shim.metrics); any scrape sums them."""
    replies = [fresh_call(server, "GET", "/v3", bearer=server.admin) for _ in range(FRESH)]
    assert len({worker for _, _, worker in replies}) == WORKERS
    time.sleep(SHARED + 0.5)
    scrapes = [fresh_call(server, "GET", "/metrics", bearer=server.admin) for _ in range(FRESH)]
    served = {re.search(r'token_shim_worker_info\{worker="(\d)",workers="(\d)"\} 1', body).groups()
              for _, body, _ in scrapes}
    assert served == {("0", "2"), ("1", "2")}
    counted = {_v3_gets(body) for _, body, _ in scrapes}
    assert counted == {FRESH}


def _v3_gets(text: str) -> float:
    found = re.search(r'token_shim_http_requests_total\{method="GET",route="/v3",status="200"\}'
                      r' (\S+)', text)
    return float(found.group(1)) if found else 0.0


def test_a_setting_put_through_the_port_is_used_by_every_worker_at_once(server):
    status, _, _ = fresh_call(server, "PUT", MAX_TTL, {"value": "60"}, server.admin)
    assert status == 200
    time.sleep(SEEN)
    made = [fresh_call(server, "POST", "/v3/tokens", {"ttl": 0}, server.admin)
            for _ in range(FRESH)]
    assert {(status, body["ttl"]) for status, body, _ in made} == {(201, 60 * 60_000)}
    assert len({worker for _, _, worker in made}) == WORKERS


async def test_concurrent_wrong_passwords_across_workers_check_one_burst(server):
    status, _, _ = fresh_call(server, "POST", "/v3/users",
                              {"username": "ivy", "password": "ivy-password-12"}, server.admin)
    assert status == 201
    body = {"username": "ivy", "password": "wrong"}
    connector = aiohttp.TCPConnector(force_close=True)  # a new connection per request
    async with aiohttp.ClientSession(connector=connector) as http_:
        async def guess():
            async with http_.post(server.url + LOGIN, json=body) as resp:
                await resp.read()
                return resp.status, resp.headers["X-Request-Id"][:PREFIX]

        replies = await asyncio.gather(*(guess() for _ in range(60)))
    assert sum(status == 401 for status, _ in replies) <= 5  # the user burst, not 5 per worker
    assert {status for status, _ in replies} == {401, 429}
    assert len({worker for _, worker in replies}) == WORKERS
    status, _, _ = fresh_call(server, "POST", LOGIN, {**body, "password": "ivy-password-12"})
    assert status == 429


def test_sigterm_to_the_parent_stops_every_worker_and_exits_0(tmp_path, db):
    live = start_workers(tmp_path, db)
    workers = children(live.proc.pid)
    assert live.stop(signal.SIGTERM) == 0
    assert not any(alive(pid) for pid in workers)
    assert "unexpectedly" not in live.log()


def test_sigint_to_the_parent_stops_every_worker_and_exits_0(tmp_path, db):
    live = start_workers(tmp_path, db)
    workers = children(live.proc.pid)
    assert live.stop(signal.SIGINT) == 0
    assert not any(alive(pid) for pid in workers)


def test_one_time_start_up_speaks_once_whatever_the_number_of_workers(tmp_path):
    db = f"sqlite:///{tmp_path}/shim.db"
    start_workers(tmp_path, db).stop()
    again = start_workers(tmp_path, db)  # admin exists: the bootstrap password is ignored
    again.stop()
    assert again.log().count("the bootstrap password (option bootstrap_password") == 1


def test_a_stop_signal_sent_to_every_process_at_once_still_stops_gracefully(tmp_path, db):
    """As systemd's default KillMode=control-group does: each worker gets two SIGTERMs."""
    live = start_workers(tmp_path, db)
    workers = children(live.proc.pid)
    for pid in [live.proc.pid, *workers]:
        os.kill(pid, signal.SIGTERM)
    assert live.stop(signal.SIGTERM) == 0, live.log()
    assert not any(alive(pid) for pid in workers)


def test_a_killed_worker_is_replaced_and_the_port_keeps_answering(tmp_path, db):
    live = start_workers(tmp_path, db)
    try:
        first, second = children(live.proc.pid)
        os.kill(first, signal.SIGKILL)
        answered, deadline = [], time.monotonic() + 20
        # Connections the kernel had queued for it when it died are reset (SO_REUSEPORT):
        # from then on every new connection goes to the worker left, then to both.
        while alive(first):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        while len(live_children := children(live.proc.pid)) < WORKERS or first in live_children:
            assert time.monotonic() < deadline, live.log()
            answered.append(fresh_call(live, "GET", "/v3", bearer=live.admin)[0])
        assert set(answered) <= {200}  # the other worker answered meanwhile
        replacement = (set(live_children) - {second}).pop()
        assert alive(second) and live.proc.poll() is None
        assert re.search(rf"worker \d \(pid {first}\) was killed by signal 9 unexpectedly; "
                         r"restarting it in 0.5 s", live.log())
        replies = _until_both_answer(live)
        assert {status for status, _, _ in replies} == {200}
        _, text, _ = fresh_call(live, "GET", "/metrics", bearer=live.admin)
        assert re.search(r'token_shim_worker_restarts_total\{worker="\d"\} 1.0', text), text
        assert f"restarted (pid {replacement}, restart 1)" in live.log()
    finally:
        assert live.stop(signal.SIGTERM) == 0, live.log()


def test_workers_all_killed_at_once_are_all_replaced(tmp_path, db):
    live = start_workers(tmp_path, db)
    try:
        killed = children(live.proc.pid)
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while len(set(children(live.proc.pid)) - set(killed)) < WORKERS:
            assert time.monotonic() < deadline and live.proc.poll() is None, live.log()
            time.sleep(0.05)
        assert {status for status, _, _ in _until_both_answer(live)} == {200}
    finally:
        assert live.stop(signal.SIGTERM) == 0, live.log()


def _until_both_answer(live: LiveServer, timeout: float = 15.0) -> list:
    """Fresh calls until both workers have answered (the replacement listens once started)."""
    replies, deadline = [], time.monotonic() + timeout
    while len({worker for _, _, worker in replies}) < WORKERS:
        assert time.monotonic() < deadline, live.log()
        try:
            replies.append(fresh_call(live, "GET", "/v3", bearer=live.admin))
        except ConnectionRefusedError:  # none listens yet (all were killed)
            time.sleep(0.05)
    return replies


def test_workers_serve_https_with_self_signed_files_made_once_by_the_parent(tmp_path):
    ca = tmp_path / "tls" / "ca.pem"
    live = start_workers(tmp_path, f"sqlite:///{tmp_path}/shim.db", "--tls-self-signed",
                         scheme="https", ca_file=ca)
    try:
        verifying = ssl.create_default_context(cafile=str(ca))
        replies = [fresh_call(live, "GET", "/healthz", context=verifying) for _ in range(FRESH)]
        assert {status for status, _, _ in replies} == {200}
        assert len({worker for _, _, worker in replies}) == WORKERS
        assert live.log().count("self-signed TLS files in") == 1
        assert "https://127.0.0.1" in live.log()
    finally:
        live.stop()


def test_workers_refuse_an_in_memory_database_naming_both_options(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "shim", "serve", "--workers", "2", "--db", "sqlite::memory:"],
        capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "token-shim serve: workers 2 (--workers, TOKEN_SHIM_WORKERS) needs a database file or "
        "PostgreSQL: sqlite::memory: is one database per process (option db)")


def test_a_port_in_use_is_one_clear_error_before_any_worker_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "shim", "serve", "--workers", "2", "--port", str(port),
             "--db", f"sqlite:///{tmp_path}/shim.db"],
            capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"token-shim serve: cannot listen on 127.0.0.1:{port}: address already in use "
        "(options host and port: --host/--port, TOKEN_SHIM_HOST/TOKEN_SHIM_PORT)")
    assert not (tmp_path / "shim.db").exists()  # nothing started
