"""Prometheus metrics at /metrics, in a registry of the app's own (never the global one).

Access (`metrics` option): `off` (no endpoint), `public`, or `admin` (default:
an admin's token, as Bearer, Basic or the R_SESS cookie).
"""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest

from shim.errors import ApiError, forbidden
from shim.keys import CLOCK, CONFIG, CORE
from shim.middlewares import credential
from shim.store.base import Store


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "token_shim_http_requests", "HTTP requests by route template, method and status",
            ["route", "method", "status"], registry=registry)
        self.latency = Histogram(
            "token_shim_http_request_duration_seconds", "Time to answer a request",
            ["route", "method"], registry=registry)
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

    def observe(self, request: web.Request, status: int, seconds: float) -> None:
        route = route_of(request)
        self.requests.labels(route, request.method, str(status)).inc()
        self.latency.labels(route, request.method).observe(seconds)

    def purge_ran(self, count: int) -> None:
        self.purge_runs.inc()
        self.purged.set(count)

    async def count_tokens(self, store: Store, now: int) -> None:
        try:
            counts = await store.count_tokens_by_kind(now)
        except NotImplementedError:
            return
        self.tokens.clear()
        for (kind, expired), count in counts.items():
            self.tokens.labels(kind, "true" if expired else "false").set(count)


METRICS = web.AppKey("metrics", Metrics)


def route_of(request: web.Request) -> str:
    """The route's path template, never the raw path (ids would explode the label set)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def measure(request: web.Request, handler) -> web.StreamResponse:
    """Inside the error middleware: sees every error before it is rendered."""
    metrics, started, status = request.app[METRICS], time.perf_counter(), 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except ApiError as err:
        status = err.status
        if err.reason and status in (401, 429):
            metrics.auth_failures.labels(err.reason).inc()
        raise
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.observe(request, status, time.perf_counter() - started)


async def scrape(request: web.Request) -> web.Response:
    app = request.app
    core, now = app[CORE], app[CLOCK]()
    if app[CONFIG].metrics == "admin":
        principal = await core.auth.authenticate(credential(request), request.path, now)
        if not principal.is_admin:
            raise forbidden("only an admin may read metrics")
    await app[METRICS].count_tokens(core.store, now)
    body = generate_latest(app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
