"""One vs two token-shim processes on one database: authenticated GET throughput.

`replicas`: two `serve` processes on one PostgreSQL database, each on its own
port, as behind a load balancer. `workers` (SQLite and PostgreSQL): one
`serve --workers 2` on one port (SO_REUSEPORT) against `serve --workers 1`.
All run the default configuration (access log on).

Two wrk processes run in every case (half the connections each), against the
one port or one each against the two replicas, so the client side is identical
and only the number of serving processes changes.
"""

from __future__ import annotations

import contextlib

from bench import contenders as c
from bench.context import Context
from bench.loadgen import Request, checked, finish_wrk, start_wrk

KEYS = ("replicas.one", "replicas.two", "workers.one", "workers.two", "workers_pg.one",
        "workers_pg.two")


def layout(ctx: Context) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], str]:
    """(core of replica A, of replica B, of wrk and PostgreSQL) and an honest description."""
    every = ctx.layout.every
    if len(every) < 2:
        return (), (), (), "One core only: nothing pinned; the comparison is meaningless here"
    rest = every[2:] or every
    text = (f"Replica A on core {every[0]}, replica B on core {every[1]}, "
            f"wrk and PostgreSQL on core(s) {','.join(map(str, rest))}")
    if len(every) < 4:
        text += (" - with fewer than 4 cores the second replica competes with wrk and "
                 "PostgreSQL for the same cores, so the ratio understates what two replicas "
                 "give on a machine with cores to spare; the target cannot be judged fairly here")
    return every[:1], every[1:2], rest, text


def measure(ctx: Context) -> None:
    with ctx.group("two replicas vs one (PostgreSQL)", "replicas.one", "replicas.two"):
        _measure(ctx, "pg", "replicas")
    for backend, prefix in (("sqlite", "workers"), ("pg", "workers_pg")):
        with ctx.group(f"--workers 2 vs 1, one port ({backend})", f"{prefix}.one",
                       f"{prefix}.two"):
            _measure_workers(ctx, backend, prefix)


def workers_layout(ctx: Context) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...],
                                          str]:
    """(cores of --workers 1, of --workers 2, of wrk and PostgreSQL), and an honest text."""
    every, load = ctx.layout.every, ctx.layout.load
    if len(every) < 2:
        return (), (), (), "One core only: nothing pinned; the comparison is meaningless here"
    two = every[:2]
    text = (f"--workers 1 on core {every[0]}, --workers 2 on cores {every[0]},{every[1]}; "
            f"wrk (and PostgreSQL) on core(s) {','.join(map(str, load))}")
    if len(every) < 4:
        text += (" - with fewer than 4 cores the second worker shares its core with wrk (and"
                 " PostgreSQL), so the ratio understates what a second worker gives on a"
                 " machine with cores to spare")
    return every[:1], two, load, text


def _measure_workers(ctx: Context, backend: str, prefix: str) -> None:
    one_core, two_cores, rest, text = workers_layout(ctx)

    def start(stack: contextlib.ExitStack, db: str) -> tuple[c.Shim, list, list]:
        one = stack.enter_context(c.Shim(f"{prefix}-1", db, ctx.logdir, one_core,
                                         log_level="info"))
        two = stack.enter_context(c.Shim(f"{prefix}-2", db, ctx.logdir, two_cores,
                                         log_level="info", workers=2))
        return one, [one, one], [two, two]

    _compare(ctx, backend, prefix, rest, text, start)


def _measure(ctx: Context, backend: str, prefix: str) -> None:
    core_a, core_b, rest, text = layout(ctx)

    def start(stack: contextlib.ExitStack, db: str) -> tuple[c.Shim, list, list]:
        a = stack.enter_context(c.Shim(f"{prefix}-a", db, ctx.logdir, core_a, log_level="info"))
        b = stack.enter_context(c.Shim(f"{prefix}-b", db, ctx.logdir, core_b, log_level="info"))
        return a, [a, a], [a, b]

    _compare(ctx, backend, prefix, rest, text, start)


def _compare(ctx: Context, backend: str, prefix: str, rest: tuple[int, ...], text: str,
             start) -> None:
    """`prefix.one` against `prefix.two`, round by round. `start(stack, db)` starts the
    servers: (the one that sets up, the two servers the one-server wrk pair loads, the two
    the two-server pair loads)."""
    with contextlib.ExitStack() as stack:
        db = ctx.database(backend, prefix)
        if backend == "pg":
            ctx.pin_postgres(rest)
            stack.callback(ctx.pin_postgres, ctx.layout.postgres)
        else:
            text = text.replace(" (and PostgreSQL)", "").replace(" and PostgreSQL", "")
        first, for_one, for_two = start(stack, db)
        admin = first.admin_token()
        first.enable_hashing(admin)
        cap = c.capture(first, first.terraform_token(admin))
        path = f"/v3/tokens/{cap.token_id}"
        one = [Request(s.url + path, auth=cap.auth) for s in for_one]
        two = [Request(s.url + path, auth=cap.auth) for s in for_two]
        ctx.note(f"{prefix}.two", f"core layout - {text}")
        _pair(ctx, two, ctx.plan.warmup, rest)
        for _ in range(ctx.plan.rounds):
            ctx.add(f"{prefix}.one", _pair(ctx, one, ctx.plan.seconds, rest))
            ctx.add(f"{prefix}.two", _pair(ctx, two, ctx.plan.seconds, rest))


def _pair(ctx: Context, reqs: list[Request], seconds: float, cpus: tuple[int, ...]) -> float:
    """Summed requests/s of two wrk processes running at the same time."""
    half = max(1, ctx.plan.connections // 2)
    procs = []
    try:
        procs = [start_wrk(r, seconds, half, cpus) for r in reqs]
        results = [finish_wrk(p, seconds) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return sum(checked(r, "replicas") for r in results)
