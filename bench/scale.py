"""Scale: a small and a large seeded store, on each backend.

Per size: start-up time, p99 of authenticated GETs and of listing one page of
100 by marker (open-loop, fixed rate), and RSS after that load. The two sizes
are measured in alternating rounds (both servers up, one loaded at a time), so
a change in background load hits both. Then, on the large store, expired
tokens are added and purged while GETs keep coming.
"""

from __future__ import annotations

import base64
import contextlib
import time

from bench import contenders as c
from bench import seed
from bench.context import Context
from bench.figures import SHIM
from bench.loadgen import Recorder, Samples, record
from bench.procs import rss_mb
from bench.tools import log

DEEP = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)  # list markers: this far into the table


def measure(ctx: Context) -> None:
    for backend in SHIM:
        key = f"scale.{backend}"
        with ctx.group(f"scale on {backend}", *[k for k in ctx.results if k.startswith(key)]):
            sizes = {"small": ctx.plan.small, "large": ctx.plan.large}
            dbs = {label: _seeded(ctx, backend, label, size) for label, size in sizes.items()}
            for _ in range(ctx.plan.rounds):
                for label in sizes:
                    _start(ctx, key, dbs[label], label).stop()
            _loaded(ctx, key, dbs, sizes)
            for r in range(ctx.plan.purge_rounds):
                _purge(ctx, key, dbs["large"], r)


def _seeded(ctx: Context, backend: str, label: str, size: int) -> str:
    db = ctx.database(backend, f"scale-{label}")
    with c.Shim(f"scale-{backend}-bootstrap", db, ctx.logdir, ctx.layout.server):
        pass  # migrations and the admin user
    took = seed.seed(db, size)
    log(f"  seeding {size:,} tokens: {took:.1f} s")
    if label == "large":
        ctx.note(f"scale.{backend}.startup_large", f"{size:,} tokens seeded directly in "
                 f"{took:.0f} s")
    return db


def gets(size: int) -> list[tuple[str, str]]:
    """(path, Authorization) for the tokens that know KNOWN_SECRET, each its own bearer."""
    ids = [seed.live_id(n) for n in seed.queried(size)]
    return [(f"/v3/tokens/{i}", f"Bearer {i}:{seed.KNOWN_SECRET}") for i in ids]


def lists(size: int, admin: str) -> list[tuple[str, str]]:
    def marker(n: int) -> str:
        return base64.urlsafe_b64encode(seed.live_id(n).encode()).decode().rstrip("=")

    return [(f"/v3/tokens?limit=100&marker={marker(int(size * f))}", f"Bearer {admin}")
            for f in DEEP]


def _start(ctx: Context, key: str, db: str, label: str, **options) -> c.Shim:
    shim = c.Shim(f"{key}-{label}", db, ctx.logdir, ctx.layout.server, **options).start()
    if "purge_interval" not in options:
        ctx.add(f"{key}.startup_{label}", shim.startup)
    return shim


def _loaded(ctx: Context, key: str, dbs: dict[str, str], sizes: dict[str, int]) -> None:
    plan, load = ctx.plan, ctx.layout.load
    rates = {"get": plan.get_rate, "list": plan.list_rate}
    with contextlib.ExitStack() as stack:
        work = {}
        for label, size in sizes.items():
            shim = stack.enter_context(c.Shim(f"{key}-{label}", dbs[label], ctx.logdir,
                                              ctx.layout.server))
            work[label] = (shim, {"get": gets(size), "list": lists(size, shim.admin_token())})
        for shim, targets in work.values():  # warm-up
            for kind in targets:
                _checked(record(shim.url, targets[kind], rates[kind], plan.warmup, load), kind)
        for _ in range(plan.rounds):
            for label, (shim, targets) in work.items():
                for kind in targets:
                    got = record(shim.url, targets[kind], rates[kind], plan.latency_seconds, load)
                    ctx.add(f"{key}.{kind}_p99_{label}", _checked(got, kind).p99())
        for label, (shim, _) in work.items():
            ctx.add(f"{key}.rss_{label}", rss_mb(shim.proc.pid))
    for label in sizes:
        ctx.note(f"{key}.get_p99_{label}", f"open loop at {plan.get_rate:g}/s over "
                 f"{len(seed.queried(sizes[label]))} tokens, each its own bearer")
        ctx.note(f"{key}.list_p99_{label}", f"open loop at {plan.list_rate:g}/s, admin bearer, "
                 "markers 50-95% into the table")


def _checked(samples: Samples, what: str) -> Samples:
    if samples.failures():
        raise RuntimeError(f"{what}: {samples.failures()} of {len(samples.rows)} requests failed")
    return samples


def _purge(ctx: Context, key: str, db: str, r: int) -> None:
    plan = ctx.plan
    took = seed.seed(db, plan.expired, expired=True)
    log(f"  seeding {plan.expired:,} expired tokens: {took:.1f} s")
    if r == 0:
        ctx.note(f"{key}.purge_seconds", f"{plan.expired:,} expired tokens seeded directly "
                 f"in {took:.0f} s (first round)")
    counter = seed.ExpiredCounter(db)
    counter.start()
    try:
        with contextlib.ExitStack() as stack:
            shim = _start(ctx, key, db, f"purge-{r}", purge_interval=str(plan.purge_interval))
            stack.callback(shim.stop)
            rec = stack.enter_context(Recorder(shim.url, gets(plan.large), plan.get_rate,
                                               plan.purge_window, ctx.layout.load))
            first = rec.started_at()
            _wait_until_purged(counter, plan.purge_window)
            samples = _checked(rec.stop(), "GET during the purge")
    finally:
        seen = counter.stop()
    start, end, left = _window(seen, plan.expired)
    if start < first:
        ctx.note(f"{key}.purge_p99", "the purge began before the first timed request")
    ctx.add(f"{key}.purge_p99", samples.p99(start, end))
    if left:
        unfinished = (f"the purge had not finished {plan.purge_window:g} s after the server "
                      f"started ({left:,} expired tokens left)")
        ctx.note(f"{key}.purge_p99", unfinished + "; p99 over the part observed")
        ctx.note(f"{key}.purge_seconds", unfinished)
    else:
        ctx.add(f"{key}.purge_seconds", end - start)
    ctx.note(f"{key}.purge_p99", f"{plan.expired:,} expired among {plan.large:,} live tokens; "
             f"{samples.count(start, end)} GETs during the last purge, {plan.get_rate:g}/s")


def _wait_until_purged(counter: seed.ExpiredCounter, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if counter.seen and counter.seen[-1][1] == 0:
            time.sleep(0.5)  # a little load after the end, then stop
            return
        if counter.failure is not None:
            break
        time.sleep(0.05)


def _window(seen: list[tuple[float, int]], total: int) -> tuple[float, float, int]:
    """(last poll before the count fell, first poll that saw none left, tokens left)."""
    full = [t for t, n in seen if n >= total]
    if not full or full[-1] == seen[-1][0]:
        raise RuntimeError(f"no purge seen (expired tokens: {seen[-1][1] if seen else '?'})")
    done = [t for t, n in seen if n == 0]
    return full[-1], done[0] if done else seen[-1][0], 0 if done else seen[-1][1]
