"""Prometheus metrics at /metrics, in registries of the app's own (never the global one).

Access (`metrics` option): `off` (no endpoint), `public`, or `admin` (default:
an admin's token, as Bearer, Basic or the R_SESS cookie).

Under `serve --workers N` one scrape shows the whole server, whichever worker
answers: every worker writes its counters (requests, latencies, refusals, purge
runs) to a file of its own in a private directory of the parent's every
SHARE_INTERVAL seconds, and the worker that answers sums them with its live
ones. This is prometheus_client's multiprocess mode in miniature, kept here
because the request counters are plain dicts (its mmap-backed values would put
a lock and a file write on every request): a dead worker's file stays, so the
totals never go down when it is restarted; at worst the last SHARE_INTERVAL of
a killed worker's counts is lost. `token_shim_worker_info` names the worker that
answered, `token_shim_worker_restarts_total` counts the supervisor's restarts.

Token counts (`token_shim_tokens`) are a full count of the table, which takes
seconds at ten million tokens: below SMALL_STORE tokens every scrape counts
afresh; above, a scrape serves the last count (`token_shim_tokens_age_seconds`
says how old, at most COUNT_MAX_AGE plus the count's own time) and starts a new
one in the background once it is older than COUNT_MAX_AGE.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from bisect import bisect_left
from pathlib import Path
from typing import Awaitable, Callable, Iterable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest
from prometheus_client.core import (
    CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric,
)

from shim.errors import forbidden
from shim.faces.http import credential
from shim.keys import CLOCK, CONFIG, CORE
from shim.store.base import Store

SHARE_INTERVAL = 1.0  # seconds between a worker's writes of its counters
SMALL_STORE = 100_000  # tokens: below, every scrape counts them afresh
COUNT_MAX_AGE = 60.0  # seconds: above SMALL_STORE, a count older than this is redone (lazily)
FIRST_WAIT = 1.0  # seconds a scrape waits for the first count (started at start-up)
RESTARTS_FILE = "restarts.json"
log = logging.getLogger("shim.metrics")


class Metrics:
    def __init__(self, worker: int = 0, workers: int = 1, shared_dir: str | None = None) -> None:
        # Counters summed over the workers; `registry` is what a scrape serves.
        self.own = own = CollectorRegistry()
        self.requests = RequestStats()
        own.register(self.requests)
        self.auth_failures = Counter(
            "token_shim_auth_failures", "Refused credentials and logins by reason",
            ["reason"], registry=own)
        self.purges = PurgeStats()
        own.register(self.purges)
        self.replays = ReplayStats()
        own.register(self.replays)
        self.registry = registry = CollectorRegistry()
        self.shared = Shared(own, shared_dir)
        registry.register(self.shared)
        self.tokens = TokenCounts()
        registry.register(self.tokens)
        Gauge("token_shim_worker_info", "The process that answered this scrape: its index"
              " under serve --workers (0 alone), of how many; the other numbers are the"
              " whole server's", ["worker", "workers"],
              registry=registry).labels(str(worker), str(workers)).set(1)

    def observe(self, request: web.Request, status: int, seconds: float) -> None:
        self.requests.observe(route_of(request), request.method, status, seconds)

    def replayed(self, route: str, seconds: float) -> None:
        """A GET answered by shim.replay: counted as any answer, and as a replay."""
        self.requests.observe(route, "GET", 200, seconds)
        self.replays.count += 1

    def purge_ran(self, count: int) -> None:
        self.purges.ran(count)

    async def count_tokens(self, store: Store, now: int, deaths: dict | None = None,
                           wait: bool = True) -> None:
        await self.tokens.refresh(
            lambda: store.count_tokens_by_kind(now, **(deaths or {})), wait=wait)


METRICS = web.AppKey("metrics", Metrics)


class ReplayStats:
    """Token reads answered by shim.replay (before the Application: same answer, less work)."""

    def __init__(self) -> None:
        self.count = 0

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("token_shim_replayed_answers",
                                  "Token reads answered from the memo of a repeated request",
                                  value=self.count)


class PurgeStats:
    """Purge runs (summed over workers) and the last run's count (only once one ran: under
    --workers only worker 0 purges, and the newest report wins)."""

    def __init__(self) -> None:
        self.runs, self.last = 0, None

    def ran(self, count: int) -> None:
        self.runs += 1
        self.last = count

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("token_shim_purge_runs", "Runs of the expired-token purge",
                                  value=self.runs)
        if self.last is not None:
            yield GaugeMetricFamily("token_shim_purge_last_purged_tokens",
                                    "Tokens deleted by the last purge run", value=self.last)


class TokenCounts:
    """`token_shim_tokens`, counted as the module docstring says; a failed count (the
    database is away) keeps the last one and its age."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, bool], int] | None = None
        self.counted_at = 0.0  # time.monotonic() when the last count started
        self.task: asyncio.Task | None = None

    async def refresh(self, count: Callable[[], Awaitable[dict]], wait: bool = True) -> None:
        if self.task is None and self._stale():
            self.task = asyncio.create_task(self._count(count))
        if self.task is not None and wait:
            small = self.counts is not None and sum(self.counts.values()) < SMALL_STORE
            # shield: a scrape that gives up waiting leaves the count running for the next
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None if small else FIRST_WAIT):
                    await asyncio.shield(self.task)

    def _stale(self) -> bool:
        if self.counts is None or sum(self.counts.values()) < SMALL_STORE:
            return True
        return time.monotonic() - self.counted_at >= COUNT_MAX_AGE

    async def _count(self, count: Callable[[], Awaitable[dict]]) -> None:
        started = time.monotonic()
        try:
            self.counts, self.counted_at = await count(), started
        except NotImplementedError:
            self.counts, self.counted_at = {}, started
        except Exception as exc:  # the database is away: the last count stays, aging
            log.warning("counting tokens for /metrics failed (%s)", exc)
        finally:
            self.task = None

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def collect(self) -> Iterator[Metric]:
        if self.counts is None:
            return
        tokens = GaugeMetricFamily(
            "token_shim_tokens", "Stored tokens by kind and expiry state, as of"
            " token_shim_tokens_age_seconds ago", labels=["kind", "expired"])
        for (kind, expired), count in sorted(self.counts.items()):
            tokens.add_metric([kind, "true" if expired else "false"], count)
        yield tokens
        yield GaugeMetricFamily(
            "token_shim_tokens_age_seconds", "Seconds since token_shim_tokens was counted",
            value=round(time.monotonic() - self.counted_at, 3))


class Shared:
    """The summed counters: this process's live ones, plus the files of the other workers
    (and of the dead ones) in `shared_dir`; and the supervisor's restart counts."""

    def __init__(self, own: CollectorRegistry, shared_dir: str | None) -> None:
        self.own = own
        self.dir = Path(shared_dir) if shared_dir else None

    def snapshot(self) -> dict:
        families = [{"name": m.name, "help": m.documentation, "type": m.type,
                     "samples": [[s.name, s.labels, s.value] for s in m.samples]}
                    for m in self.own.collect()]
        return {"at": time.time(), "families": families}

    def write(self) -> None:
        """This worker's counters, replaced atomically (a reader never sees half a file)."""
        if self.dir is None:
            return
        path = self.dir / f"worker-{os.getpid()}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.snapshot()))
        temporary.replace(path)

    def collect(self) -> Iterator[Metric]:
        snapshots = [self.snapshot() | {"at": float("inf")}]  # live: newest of all
        if self.dir is not None:
            mine = f"worker-{os.getpid()}.json"
            for path in self.dir.glob("worker-*.json"):
                if path.name != mine:
                    with contextlib.suppress(OSError, ValueError):
                        snapshots.append(json.loads(path.read_text()))
        yield from _merged(snapshots)
        if self.dir is not None:
            yield self._restarts()

    def _restarts(self) -> Metric:
        restarts = CounterMetricFamily(
            "token_shim_worker_restarts", "Workers restarted by the serve --workers supervisor"
            " after they died", labels=["worker"])
        with contextlib.suppress(OSError, ValueError):
            for index, count in sorted(json.loads((self.dir / RESTARTS_FILE).read_text()).items()):
                restarts.add_metric([index], count)
        return restarts


def write_restarts(shared_dir: str, restarts: dict[int, int]) -> None:
    """The supervisor's side of `token_shim_worker_restarts_total`."""
    path = Path(shared_dir) / RESTARTS_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({str(i): n for i, n in restarts.items()}))
    temporary.replace(path)


def _merged(snapshots: Iterable[dict]) -> Iterator[Metric]:
    """Counter and histogram samples summed over the snapshots (in the order first seen,
    which keeps a histogram's buckets in order), a `_created` the earliest; a gauge's from
    the newest snapshot."""
    families: dict[str, Metric] = {}
    values: dict[str, dict[tuple, float]] = {}
    newest: dict[str, float] = {}
    for snapshot in sorted(snapshots, key=lambda s: s["at"]):
        for family in snapshot["families"]:
            name = family["name"]
            if name not in families:
                families[name] = Metric(name, family["help"], family["type"])
                values[name] = {}
            summed = family["type"] != "gauge"
            if not summed:
                values[name] = {}  # the newer report replaces the older one
            newest[name] = snapshot["at"]
            for sample, labels, value in family["samples"]:
                key = (sample, tuple(labels.items()))
                seen = values[name].get(key)
                if seen is None or not summed:
                    values[name][key] = value
                else:
                    values[name][key] = min(seen, value) if sample.endswith("_created") \
                        else seen + value
    for name, family in families.items():
        for (sample, labels), value in values[name].items():
            family.add_sample(sample, dict(labels), value)
        yield family


async def share_forever(metrics: Metrics, interval: float = SHARE_INTERVAL) -> None:
    """Write this worker's counters for the others every `interval` seconds, and once on stop."""
    try:
        while True:
            metrics.shared.write()
            await asyncio.sleep(interval)
    finally:
        with contextlib.suppress(OSError):
            metrics.shared.write()


class RequestStats:
    """Request counts and latencies in plain numbers, turned into metrics at scrape time.

    prometheus_client's labelled Counter and Histogram take a lock and validate
    labels on every call: about 20 µs a request, as much as a token lookup.
    Everything here runs on the event loop, so plain dicts need no lock.
    """

    BOUNDS = Histogram.DEFAULT_BUCKETS  # upper bounds, the last one +Inf

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}  # bounded by the route table
        self._latency: dict[tuple[str, str], list] = {}  # [count per bucket..., sum]

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        series = self._latency.get(key[:2])
        if series is None:
            series = self._latency[key[:2]] = [0] * len(self.BOUNDS) + [0.0]
        series[bisect_left(self.BOUNDS, seconds)] += 1
        series[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "token_shim_http_requests", "HTTP requests by route template, method and status",
            labels=["route", "method", "status"])
        for (route, method, status), count in sorted(self._counts.items()):
            requests.add_metric([route, method, str(status)], count)
        latency = HistogramMetricFamily(
            "token_shim_http_request_duration_seconds", "Time to answer a request",
            labels=["route", "method"])
        for (route, method), series in sorted(self._latency.items()):
            buckets, running = [], 0
            for bound, count in zip(self.BOUNDS, series):
                running += count
                buckets.append((_bound_label(bound), running))
            latency.add_metric([route, method], buckets, series[-1])
        yield requests
        yield latency


def _bound_label(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


def route_of(request: web.Request) -> str:
    """The route's path template, never the raw path (ids would explode the label set)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


async def scrape(request: web.Request) -> web.Response:
    app = request.app
    core, now = app[CORE], app[CLOCK]()
    if app[CONFIG].metrics == "admin":
        principal = await core.auth.authenticate(credential(request), request.path, now)
        if not principal.is_admin:
            raise forbidden("only an admin may read metrics")
    await app[METRICS].count_tokens(core.store, now, core.tokens.death_settings())
    body = generate_latest(app[METRICS].registry)  # the store away: the last counts, aged
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
