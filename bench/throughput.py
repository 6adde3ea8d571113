"""Throughput with wrk: token GETs against the baselines, writes, one vs two replicas.

Every contender of a comparison runs at the same time (idle ones cost nothing)
and the rounds go round-robin over them, so a noisy neighbour slows all of
them alike instead of whichever happened to run at that moment. The share of
a core each server used while loaded tells whether it was the bottleneck.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time

from bench import contenders as c
from bench.context import Context
from bench.figures import SHIM
from bench.loadgen import Request, checked, run_wrk
from bench.procs import cpu_seconds

BACKENDS = tuple(SHIM)
# token-shim as the readers run it: (database, --log-level, --event-loop). The rows without
# a suffix are the Quick start's configuration: an access line per request (info), and
# asyncio's loop (`pip install -e .` has no uvloop, so `event_loop: auto` picks asyncio's).
READERS = {
    "sqlite": ("sqlite", "info", "asyncio"),
    "sqlite_quiet": ("sqlite", "warning", "asyncio"),
    "sqlite_uvloop": ("sqlite", "info", "uvloop"),
    "pg": ("pg", "info", "asyncio"),
}
POST_BODY = json.dumps({"description": "bench-post", "ttl": 3600000})
LOGIN_BODY = json.dumps({"username": "admin", "password": c.ADMIN_PASSWORD})
LOGIN_CONNECTIONS = 4  # fewer than the throttle's burst per address (20): no 429 by design
MAX_TTL = "/v3/settings/auth-token-max-ttl-minutes"


def measure(ctx: Context) -> None:
    keys = [k for k in ctx.results if k.startswith(("get", "post", "put", "login"))]
    with ctx.group("throughput (GET against the baselines; writes)", *keys), \
            contextlib.ExitStack() as stack:
        shims = {b: _shim(ctx, stack, b) for b in READERS}
        shims = {b: s for b, s in shims.items() if s is not None}
        if "sqlite" not in shims:
            raise RuntimeError("token-shim on SQLite did not start: nothing to capture")
        reads = [r for b, (shim, admin, cap) in shims.items() for r in _reads(b, shim, cap)]
        reads += _baselines(ctx, stack, shims["sqlite"][2])
        writes = [w for b, (shim, admin, _) in shims.items() if b in BACKENDS
                  for w in _writes(b, shim, admin)]
        _rounds(ctx, reads)
        _rounds(ctx, writes)
        sqlite = shims["sqlite"][0]
        login = Request(f"{sqlite.url}/v3-public/localProviders/local?action=login", "POST",
                        body=LOGIN_BODY)
        _rounds(ctx, [("login.sqlite", login, sqlite.proc.pid)], LOGIN_CONNECTIONS)
        ctx.note("login.sqlite", f"wrk -c{LOGIN_CONNECTIONS}; each login checks the password "
                 "with scrypt (N=2^14, r=8, p=1, in a worker thread) and creates a session")


def _shim(ctx: Context, stack: contextlib.ExitStack, variant: str):
    """(server, admin bearer, captured GET) with token hashing on; None when it cannot start."""
    backend, log_level, loop = READERS[variant]
    try:
        db = ctx.database(backend, f"throughput-{variant}")
        shim = stack.enter_context(c.Shim(f"shim-{variant}", db, ctx.logdir, ctx.layout.server,
                                          log_level=log_level, event_loop=loop))
        admin = shim.admin_token()
        shim.enable_hashing(admin)
        return shim, admin, c.capture(shim, shim.terraform_token(admin))
    except Exception as exc:  # the other backend still runs
        for key in ctx.results:
            if key.endswith(f".{variant}") and key.startswith(("get", "post", "put", "login")):
                ctx.results[key].error = f"{type(exc).__name__}: {str(exc)[:160]}"
        ctx.notes.append(f"token-shim ({variant}) did not start: {exc}")
        return None


Work = tuple[str, Request, int]  # figure key, what wrk sends, the server's pid


def _reads(backend: str, shim: c.Shim, cap: c.Captured) -> list[Work]:
    v3 = f"{shim.url}/v3/tokens/{cap.token_id}"
    tf = f"{shim.url}/terraform/v1/tokens/{cap.token_id}"
    return [(f"get_v3.{backend}", Request(v3, auth=cap.auth), shim.proc.pid),
            (f"get_tf.{backend}", Request(tf, auth=cap.auth), shim.proc.pid)]


def _baselines(ctx: Context, stack: contextlib.ExitStack, cap: c.Captured) -> list[Work]:
    w, logs, core = ctx.workdir, ctx.logdir, ctx.layout.server
    found = []
    for key, make, path in [
        ("get.bare", lambda: c.bare(cap, w, logs, core), f"/v3/tokens/{cap.token_id}"),
        ("get.bare_uvloop", lambda: c.bare(cap, w, logs, core, uvloop=True),
         f"/v3/tokens/{cap.token_id}"),
        ("get.bare_server", lambda: c.bare(cap, w, logs, core, low_level=True),
         f"/v3/tokens/{cap.token_id}"),
        ("get.json_server", lambda: c.json_server(cap, w, logs, core), f"/tokens/{cap.token_id}"),
        ("get.fakeserver", lambda: c.fakeserver(w, logs, core, {cap.token_id: cap.obj()}),
         f"/api/objects/{cap.token_id}"),
    ]:
        try:
            server = stack.enter_context(make())
        except Exception as exc:  # a missing baseline leaves its ratios blank, no more
            ctx.results[key].error = f"{type(exc).__name__}: {str(exc)[:160]}"
            continue
        found.append((key, Request(server.url + path, auth=cap.auth), server.proc.pid))
    return found


def _writes(backend: str, shim: c.Shim, admin: str) -> list[Work]:
    auth, pid = f"Bearer {admin}", shim.proc.pid
    # Two values in turn for the PUT, so every request really writes.
    put = Request(f"{shim.url}{MAX_TTL}", "PUT", auth, '{"value": "129600"}', '{"value": "129601"}')
    return [(f"post.{backend}", Request(f"{shim.url}/v3/tokens", "POST", auth, POST_BODY), pid),
            (f"put.{backend}", put, pid)]


def _rounds(ctx: Context, work: list[Work], connections: int | None = None) -> None:
    plan, busy = ctx.plan, {key: [] for key, _, _ in work}
    per_request: dict[str, list[float]] = {key: [] for key, _, _ in work}
    connections = connections or plan.connections
    for key, req, pid in work:  # a warm-up that fails rules the contender out
        try:
            _wrk(ctx, key, req, pid, plan.warmup, connections)
        except RuntimeError as exc:
            ctx.results[key].error = str(exc)[:200]
    for _ in range(plan.rounds):
        for key, req, pid in work:
            if ctx.results[key].error:
                continue
            try:
                rps, share = _wrk(ctx, key, req, pid, plan.seconds, connections)
            except RuntimeError as exc:
                ctx.note(key, f"a round failed: {str(exc)[:160]}")
                continue
            ctx.add(key, rps)
            busy[key].append(share)
            per_request[key].append(share / rps * 1e6 if rps else 0.0)
    for key, shares in busy.items():
        if shares:
            ctx.server_cpu[key] = statistics.median(shares)
            ctx.note(key, f"server CPU while loaded: {ctx.server_cpu[key]:.0%} of a core, "
                     f"{statistics.median(per_request[key]):.0f} µs of CPU a request "
                     "(steadier than req/s on a busy machine)")


def _wrk(ctx: Context, key: str, req: Request, pid: int, seconds: float,
         connections: int) -> tuple[float, float]:
    """Requests/s, and the share of one core the server used meanwhile."""
    began, cpu = time.monotonic(), cpu_seconds(pid)
    rps = checked(run_wrk(req, seconds, connections, ctx.layout.load), key)
    return rps, (cpu_seconds(pid) - cpu) / (time.monotonic() - began)
