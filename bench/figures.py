"""Every figure the run produces, and the targets they are held to (issue 7)."""

from __future__ import annotations

import operator
from dataclasses import dataclass

SHIM = {"sqlite": "token-shim (SQLite)", "pg": "token-shim (PostgreSQL)"}
# The token GETs: every backend in the Quick start's configuration (access log at info,
# audit log on, asyncio's loop), and on SQLite the same with one thing changed.
READERS = {
    "sqlite": SHIM["sqlite"],
    "sqlite_quiet": "token-shim (SQLite), access log off",
    "sqlite_uvloop": "token-shim (SQLite), uvloop (token-shim[fast])",
    "pg": SHIM["pg"],
}
BARE = "bare aiohttp handler"
BARE_UVLOOP = "bare aiohttp handler on uvloop"
BARE_SERVER = "bare aiohttp low-level server (web.Server)"
JSON_SERVER = "json-server 0.17.4"
FAKESERVER = "restapi fakeserver v1.20.0"
GET_V3 = "GET /v3/tokens/{id} (Bearer of that token)"


@dataclass(frozen=True)
class Figure:
    key: str
    contender: str
    measurement: str
    unit: str
    group: str


@dataclass(frozen=True)
class Target:
    """`value op bound`, or `value / baseline op bound` when there is a baseline."""

    key: str
    op: str
    bound: float
    baseline: str = ""
    text: str = ""

    def met(self, value: float, base: float | None) -> bool:
        compare = {">=": operator.ge, "<=": operator.le, "<": operator.lt}[self.op]
        return compare(value / base if self.baseline else value, self.bound)


def _throughput() -> list[Figure]:
    found = []
    for b, name in READERS.items():
        found += [
            Figure(f"get_v3.{b}", name, GET_V3, "req/s", "get"),
            Figure(f"get_tf.{b}", name, "GET /terraform/v1/tokens/{id}", "req/s", "get"),
        ]
    found += [
        Figure("get.bare", BARE, "GET, the same body after an Authorization check", "req/s", "get"),
        Figure("get.bare_uvloop", BARE_UVLOOP, "GET, the same body after an Authorization check",
               "req/s", "get"),
        Figure("get.bare_server", BARE_SERVER, "GET, the same body after an Authorization check",
               "req/s", "get"),
        Figure("get.json_server", JSON_SERVER, "GET /tokens/{id}, the same object", "req/s", "get"),
        Figure("get.fakeserver", FAKESERVER, "GET /api/objects/{id}, the same object", "req/s",
               "get"),
    ]
    for b, name in SHIM.items():
        found += [
            Figure(f"post.{b}", name, "POST /v3/tokens (token hashing on)", "req/s", "write"),
            Figure(f"put.{b}", name, "PUT /v3/settings/auth-token-max-ttl-minutes", "req/s",
                   "write"),
        ]
    found.append(Figure("login.sqlite", SHIM["sqlite"], LOGIN, "req/s", "write"))
    return found


LOGIN = "POST /v3-public/localProviders/local?action=login (scrypt)"


def _scale(b: str, small: str, large: str) -> list[Figure]:
    name, s = SHIM[b], f"scale.{b}"
    return [
        Figure(f"{s}.get_p99_small", name, f"GET p99 at {small} tokens", "ms", "scale"),
        Figure(f"{s}.get_p99_large", name, f"GET p99 at {large} tokens", "ms", "scale"),
        Figure(f"{s}.list_p99_small", name, f"list 100 by marker, p99, {small} tokens", "ms",
               "scale"),
        Figure(f"{s}.list_p99_large", name, f"list 100 by marker, p99, {large} tokens", "ms",
               "scale"),
        Figure(f"{s}.rss_small", name, f"RSS after load, {small} tokens", "MB", "scale"),
        Figure(f"{s}.rss_large", name, f"RSS after load, {large} tokens", "MB", "scale"),
        Figure(f"{s}.startup_small", name, f"start-up to /healthz 200, {small} tokens", "s",
               "scale"),
        Figure(f"{s}.startup_large", name, f"start-up to /healthz 200, {large} tokens", "s",
               "scale"),
        Figure(f"{s}.purge_p99", name, "GET p99 while purging expired tokens", "ms", "scale"),
        Figure(f"{s}.purge_seconds", name, "purge of the expired tokens, duration", "s", "scale"),
    ]


def catalogue(small: int, large: int, expired: int, tf_tokens: int) -> list[Figure]:
    sm, lg = f"{small:,}", f"{large:,}"
    apply = f"terraform apply: {tf_tokens} tokens + 5 settings, wall time"
    return [
        *_throughput(),
        Figure("replicas.one", "token-shim (PostgreSQL), 1 replica", GET_V3, "req/s", "replicas"),
        Figure("replicas.two", "token-shim (PostgreSQL), 2 replicas", GET_V3, "req/s",
               "replicas"),
        Figure("workers.one", "token-shim (SQLite), --workers 1", GET_V3, "req/s", "replicas"),
        Figure("workers.two", "token-shim (SQLite), --workers 2, one port", GET_V3, "req/s",
               "replicas"),
        Figure("workers_pg.one", "token-shim (PostgreSQL), --workers 1", GET_V3, "req/s",
               "replicas"),
        Figure("workers_pg.two", "token-shim (PostgreSQL), --workers 2, one port", GET_V3,
               "req/s", "replicas"),
        Figure("tf.shim", SHIM["sqlite"], apply, "s", "terraform"),
        Figure("tf.fakeserver", FAKESERVER, apply, "s", "terraform"),
        Figure("tf.shapes", "token-shim's response shapes, canned (aiohttp)", apply, "s",
               "terraform"),
        *_scale("sqlite", sm, lg),
        *_scale("pg", sm, lg),
        *_ha(lg),
    ]


def _ha(large: str) -> list[Figure]:
    """Issue 24: failover to a promoted standby; /metrics at the large store."""
    failover = "kill -9 the primary, promote the standby 1 s later"
    found = [
        Figure("ha.failover_resume", SHIM["pg"], f"{failover}: first write after the promotion",
               "s", "ha"),
        Figure("ha.failover_refused", SHIM["pg"], f"{failover}: requests refused (503)",
               "requests", "ha"),
        Figure("ha.failover_lost", SHIM["pg"], f"{failover}: acknowledged tokens lost",
               "tokens", "ha"),
    ]
    for b, name in SHIM.items():
        found += [
            Figure(f"ha.scrape.{b}", name, f"GET /metrics at {large} tokens", "ms", "ha"),
            Figure(f"ha.count.{b}", name, f"the full count a scrape used to run, {large} tokens",
                   "ms", "ha"),
        ]
    return found


def targets(large: int = 1_000_000) -> list[Target]:
    """Issue 17's targets; the scale bounds of issue 7 below 10 million tokens."""
    rss, startup = (250, 3) if large >= 10_000_000 else (200, 2)
    found = [
        Target("post.sqlite", ">=", 2500, text=">= 2,500 tokens/s"),
        Target("tf.shim", "<=", 1.1, "tf.fakeserver", "<= 1.1 x fakeserver"),
        Target("replicas.two", ">=", 1.6, "replicas.one", ">= 1.6 x one replica"),
    ]
    for face in ("get_v3", "get_tf"):
        for b in SHIM:  # the Quick start's configuration, both faces
            found += [
                Target(f"{face}.{b}", ">=", 0.8, "get.bare", ">= 0.8 x bare aiohttp"),
                Target(f"{face}.{b}", ">=", 4.0, "get.json_server", ">= 4 x json-server"),
            ]
        # the same ceiling on the same event loop, for an install with token-shim[fast]
        found.append(Target(f"{face}.sqlite_uvloop", ">=", 0.8, "get.bare_uvloop",
                            ">= 0.8 x bare aiohttp, both on uvloop"))
    found += [
        Target("ha.failover_lost", "<=", 0, text="0 (issue 24)"),
        Target("ha.failover_resume", "<", 10, text="< 10 s"),
        *[Target(f"ha.scrape.{b}", "<", 1000, text="< 1 s (issue 24: at 10M)") for b in SHIM],
    ]
    for b in SHIM:
        s = f"scale.{b}"
        found += [
            Target(f"{s}.get_p99_large", "<=", 1.5, f"{s}.get_p99_small", "<= 1.5 x p99 at 1k"),
            Target(f"{s}.list_p99_large", "<", 20, text="< 20 ms"),
            Target(f"{s}.rss_large", "<", rss, text=f"< {rss} MB"),
            Target(f"{s}.startup_large", "<", startup, text=f"< {startup} s"),
            Target(f"{s}.purge_p99", "<", 50, text="< 50 ms"),
        ]
    return found


# Rows without a target still show a ratio to this baseline.
INFO_BASELINES = {
    "get_v3.sqlite_quiet": "get_v3.sqlite", "get_tf.sqlite_quiet": "get_tf.sqlite",
    "get_v3.sqlite_uvloop": "get_v3.sqlite", "get_tf.sqlite_uvloop": "get_tf.sqlite",
    "get.bare_uvloop": "get.bare", "get.bare_server": "get.bare", "get.fakeserver": "get.bare",
    "get.json_server": "get.bare", "post.pg": "post.sqlite", "put.pg": "put.sqlite",
    "tf.shapes": "tf.fakeserver", "workers.two": "workers.one",
    "workers_pg.two": "workers_pg.one",
    "ha.scrape.sqlite": "ha.count.sqlite", "ha.scrape.pg": "ha.count.pg",
}

# Ratio lines without a target that a row shows besides its targets' (issue 27: the
# Quick start's token GETs against aiohttp without its application layer).
EXTRA_BASELINES = {f"{face}.{b}": ["get.bare_server"] for face in ("get_v3", "get_tf")
                   for b in SHIM}
