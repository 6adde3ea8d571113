"""docs/benchmarks.md: the table, how it was measured, and the machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench import replicas, throughput
from bench.context import Context
from bench.report import Row, expected_rounds, number, ratio_text, rounds_text
from bench.seed import QUERIED

HOW = """\
- **Throughput** (`wrk -t1 -c{conn}`, {rounds} rounds of {seconds:g} s after a {warmup:g} s
  warm-up, round-robin over the contenders, which all run at the same time):
  requests/s of runs in which every answer was 2xx. The Lua script
  `bench/wrk/request.lua` sets the method, the Authorization header and the body
  (two alternating bodies for the setting PUT, so that every request writes).
  token-shim runs with token hashing on (`PUT /v3/features/token-hashing`), so
  every authentication verifies a salted SHA-256. The token read is one created
  on the Terraform face; it authenticates as itself. Every GET repeats the one
  before, so token-shim answers it from the memo of its last answer
  (`shim/replay.py`: no authentication, no rendering) except once a second per
  token, when the read writes the token's last use and goes the whole way; the
  scale group's reads (1,000 tokens in turn at 100/s: each read every 10 s, its
  last use due) always go the whole way.
  The baselines serve the
  body token-shim returned for that GET: the bare aiohttp handler
  (`bench/bare_aiohttp.py`: one header check, no store, no access log),
  json-server 0.17.4 (`db.json` = `{{"tokens": [<that object>]}}`), and the
  restapi provider's fakeserver (seeded with the object). The notes give the
  share of its core each server used while loaded (about 100%: the server was
  the bottleneck). The token-shim rows without a suffix run the Quick start's
  configuration (`--log-level info`: one access line per request; the audit
  log on, on stderr, which the harness writes to a file; asyncio's event loop,
  which `event_loop: auto` picks when uvloop is not installed, as after the
  Quick start's `pip install -e .`). "access log off" is the same with
  `--log-level warning`; "uvloop" the same with `--event-loop uvloop` (an
  install with `token-shim[fast]`; the harness installs uvloop into its venv).
  The bare handler runs on asyncio's loop (the ceiling as defined) and, as a
  second row, on uvloop. A third row serves it from aiohttp's low-level server
  (`bare_aiohttp.py --low-level`: `web.Server` behind a `ServerRunner` and a
  `TCPSite`, no Application, router or middlewares; a path-prefix check stands
  in for the route): the ratios against it, without a target, show how much of
  a read is aiohttp's application layer.
  Login is `wrk -c{login}` (the throttle reserves each attempt before the
  password check, and 32 at once would pass its burst of 20 per address).
  The same token is read over and over, so after the first read its
  row comes from the process's row cache (README: what is cached, and the
  bound) and its JSON from the copy kept per row; a changed row is read and
  rendered afresh.
- **Latency** (`bench/latency.py`): open loop at a fixed rate, each request timed
  from the moment it was due, so a stall counts against every request that should
  have gone out during it. GETs ({get_rate:g}/s) cycle over {queried} tokens spread
  over the table, each with its own bearer, so each GET also writes that token's
  `lastUsedAt` (the server does so at most once a second per token); lists of 100
  by marker run at {list_rate:g}/s; {rounds} rounds of {lat:g} s, the two sizes in
  alternating rounds, after a warm-up. The row cache holds 4096 rows, so these
  GETs read the database on the first read of each token and again after a
  write empties the cache (each purge batch, say) and, on PostgreSQL, once a
  second (its age limit); otherwise they are served from the cache. Scale stores are seeded
  directly (`bench/seed.py`: `INSERT_TOKEN` rows, a COPY on PostgreSQL), secrets
  stored plain (token hashing off).
- **Start-up**: from spawning `python -m shim serve` to the first `/healthz` 200
  ({rounds} starts per size). **RSS**: `VmRSS` of the server after the latency runs.
- **Purge**: {expired:,} tokens that expired a day ago are added to the large store;
  the server is restarted with `--purge-interval {purge:g}` (the purge starts
  {lo:g}-{hi:g} s later, ±10% jitter) while GETs run; the window is from the last count of expired
  tokens that was still complete to the first that was zero (counted every 50 ms, or
  twice as long as a count takes when that is longer: ~40 ms for 1M expired tokens).
- **Terraform**: `terraform apply` of `bench/terraform/<contender>` ({tf} tokens + 5
  settings, parallelism 10), empty state and a fresh server each round; wall time.
  The fakeserver echoes the object it was sent; token-shim's create response
  also carries the one-time `token`, the effective `ttl`, `userId` and
  `expiresAt` (the Terraform face's contract), and Terraform and the provider
  spend time on every attribute of every object. `bench/shape_server.py`
  answers the token-shim configuration with those shapes from canned
  responses (aiohttp, no store, no auth): its row is the shape's share of the
  gap, the rest is token-shim's own work.
- **Replicas and workers**: two wrk processes (`-c{half}` each) against one
  replica, or one each against two replicas on the same PostgreSQL database;
  and both against one port served by `serve --workers 1` or `--workers 2`, on
  SQLite and on PostgreSQL (access log on, asyncio's loop). {replicas}
- PostgreSQL is the throwaway server of `tests/pg.py` (fsync on, data in
  `/dev/shm` when it has room). SQLite is a file in a temporary directory (WAL,
  `synchronous=NORMAL`).
- The fakeserver is built from `bench/fakeserver/main.go`: upstream's
  `fakeservercli` plus a `-seed` file and one mutex around the handler (upstream
  keeps objects in a plain Go map, which Terraform's parallel writes can crash).
"""


@dataclass(frozen=True)
class Meta:
    command: str
    started: str
    minutes: float
    load_before: str
    load_after: str
    commit: str
    cpu: str
    memory: str
    versions: dict[str, str]


def render(ctx: Context, table: list[Row], meta: Meta, chart: str | None) -> str:
    out = ["# Benchmarks", ""]
    if ctx.plan.name != "full":
        out += [f"> **{ctx.plan.name} run** (`make bench-quick`): short rounds for a smoke test "
                "of the harness. These figures are not the benchmark; run `make bench` on a "
                "quiet machine.", ""]
    out += [f"Generated by `{meta.command}` on {meta.started} ({meta.minutes:.1f} min), "
            f"commit {meta.commit}.", ""]
    out += _busy(ctx)
    if chart:
        out += [f"![benchmark chart]({chart})", ""]
    out += _table(ctx, table)
    out += _notes(ctx)
    out += ["## How it was measured", "", f"- Cores: {ctx.layout.describe()}."]
    out += [_how(ctx), *_findings(), "## Machine", "", f"- CPU: {meta.cpu}", f"- Memory: {meta.memory}",
            f"- Load average (1, 5, 15 min) before: {meta.load_before}; after: {meta.load_after}"]
    out += [f"- {name}: {version}" for name, version in meta.versions.items()]
    out += ["", "## How to run", "",
            "<!-- walkthrough: not run: about 30 minutes of load; bench/ runs it, not the tests -->",
            "```sh",
            "make bench        # full, 10M-token stores: about 30 minutes",
            "make bench-quick  # smoke run: a few minutes", "```", "",
            "Needs wrk, taskset, Node.js/npm, Go, terraform and PostgreSQL's server binaries; "
            "installs matplotlib and uvloop into `.venv`, json-server under `bench/.node`, and builds the "
            "fakeserver (and, when missing, the restapi provider) under "
            "`~/.cache/token-shim`. Every server listens on 127.0.0.1 only.", ""]
    return "\n".join(out)


def _table(ctx: Context, table: list[Row]) -> list[str]:
    out = ["| contender | measurement | median | rounds | ratio | target | verdict |",
           "|---|---|---:|---:|---|---|---|"]
    for row in table:
        r, f = row.result, row.result.figure
        value = "not measured" if r.median is None else number(r.median, f.unit)
        target = row.target.text if row.target else ""
        out.append(f"| {f.contender} | {f.measurement} | {value} | "
                   f"{rounds_text(r, expected_rounds(ctx, r))} | {ratio_text(row)} | {target} | "
                   f"{_verdict(row.verdict)} |")
    met = sum(r.verdict == "met" for r in table)
    missed = sum(r.verdict == "missed" for r in table)
    absent = sum(r.verdict == "not measured" for r in table)
    return out + ["", f"Targets: **{met} met, {missed} missed, {absent} not measured.**", ""]


def _busy(ctx: Context) -> list[str]:
    """A warning when the servers did not get their core: something else was running on it."""
    shares = sorted(ctx.server_cpu.values())
    if not shares or shares[-1] >= 0.9:
        return []
    return [f"> **Busy machine:** under full load no server used more than {shares[-1]:.0%} of "
            "its core (a saturated one uses about 100%): other processes were running there, so "
            "throughput figures are low and latencies inflated by roughly that much.", ""]


def _verdict(verdict: str) -> str:
    return {"met": "met", "missed": "**missed**", "not measured": "*not measured*"}.get(verdict, "")


def _notes(ctx: Context) -> list[str]:
    lines = []
    for r in ctx.results.values():
        for text in ([f"not measured: {r.error}"] if r.error else []) + r.notes:
            lines.append(f"- {r.figure.contender}, {r.figure.measurement}: {text}")
    lines += [f"- {text}" for text in ctx.notes]
    return ["## Notes", "", *lines, ""] if lines else []


def _findings() -> list[str]:
    """The hand-written part: what the profiles showed, and running on several cores."""
    path = Path(__file__).with_name("findings.md")
    return [path.read_text(encoding="utf-8").rstrip(), ""] if path.exists() else []


def _how(ctx: Context) -> str:
    p = ctx.plan
    return HOW.format(
        conn=p.connections, rounds=p.rounds, seconds=p.seconds, warmup=p.warmup, queried=QUERIED,
        lat=p.latency_seconds, expired=p.expired, purge=p.purge_interval,
        get_rate=p.get_rate, list_rate=p.list_rate,
        lo=0.9 * p.purge_interval, hi=1.1 * p.purge_interval, tf=p.tf_tokens,
        login=throughput.LOGIN_CONNECTIONS,
        half=max(1, p.connections // 2), replicas=replicas.layout(ctx)[3] + ".",
    )
