"""Prometheus metrics at /metrics, in a registry of the app's own (never the global one).

Access (`metrics` option): `off` (no endpoint), `public`, or `admin` (default:
an admin's token, as Bearer, Basic or the R_SESS cookie).

Under `serve --workers N` each worker counts for itself and a scrape reaches
one of them: `token_shim_worker_info` says which.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from shim.errors import forbidden
from shim.faces.http import credential
from shim.keys import CLOCK, CONFIG, CORE
from shim.store.base import Store


class Metrics:
    def __init__(self, worker: int = 0, workers: int = 1) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = RequestStats()
        registry.register(self.requests)
        self.auth_failures = Counter(
            "token_shim_auth_failures", "Refused credentials and logins by reason",
            ["reason"], registry=registry)
        self.tokens = Gauge(
            "token_shim_tokens", "Stored tokens by kind and expiry state, counted at scrape time",
            ["kind", "expired"], registry=registry)
        self.purge_runs = Counter(
            "token_shim_purge_runs", "Runs of the expired-token purge", registry=registry)
        self.purged = Gauge(
            "token_shim_purge_last_purged_tokens", "Tokens deleted by the last purge run",
            registry=registry)
        Gauge("token_shim_worker_info", "The process that answered this scrape: its index"
              " under serve --workers (0 alone), of how many; its numbers are its own",
              ["worker", "workers"], registry=registry).labels(str(worker), str(workers)).set(1)

    def observe(self, request: web.Request, status: int, seconds: float) -> None:
        self.requests.observe(route_of(request), request.method, status, seconds)

    def purge_ran(self, count: int) -> None:
        self.purge_runs.inc()
        self.purged.set(count)

    async def count_tokens(self, store: Store, now: int, deaths: dict | None = None) -> None:
        try:
            counts = await store.count_tokens_by_kind(now, **(deaths or {}))
        except NotImplementedError:
            return
        self.tokens.clear()
        for (kind, expired), count in counts.items():
            self.tokens.labels(kind, "true" if expired else "false").set(count)


METRICS = web.AppKey("metrics", Metrics)


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
    body = generate_latest(app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
