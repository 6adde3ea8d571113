"""Replaying the answer to a repeated token read, before the Application is reached.

A token GET (`/v3/tokens/{id}`, `/terraform/v1/tokens/{id}`) is the read clients
repeat: Terraform's refresh, scripts polling, a bearer checking itself. Its answer
is a function of the request (path, query string, every header, the connection's
scheme and local address), of the rows it was built from (the caller's token and
user, the token shown), of the settings and features caches, and of time (expiry,
idle, the caller's next lastUsedAt touch). The handler says when an answer depends
on nothing else (`shim.faces.http.replayable`); it is then recorded, and the same
request later gets the same bytes from the server's handler (aiohttp's low-level
`web.Server` calls it for every request) without the router, the middleware, the
credential's salted hash or the rendering, as long as:

- the store's row cache still holds the very row objects the answer was built from:
  every write empties it or replaces the row (a touch), another process's commit
  empties it (SQLite within OTHERS_CHECK, PostgreSQL on its NOTIFY), exactly as for
  the reads that authenticate every request;
- the settings and features caches did not change since the request began;
- the clock is before the caller's next touch and before any death of the tokens
  involved (`Authenticator.steady_until`): a replay never skips a write;
- fewer requests run than `max_in_flight` (else the Application answers 429).

A replay gets a request id, an access line and its metrics as any answer. Only a
200 is recorded, never one that sets a cookie or whose headers `shim.headers.guard`
would change. The memo holds request headers, so bearer secrets, in process memory
(as the request itself did), never on disk; it is bounded by MAX_ANSWERS.
"""

from __future__ import annotations

import time
from typing import Awaitable, Callable, NamedTuple

from aiohttp import web
from multidict import CIMultiDict

from shim.headers import guarded
from shim.keys import CLOCK, CORE, REPLAYABLE, REQUEST_ID, Core, Replayable
from shim.logs import log_request
from shim.metrics import METRICS, Metrics, route_of
from shim.middlewares import IN_FLIGHT, InFlight, request_id
from shim.store.base import CachedRows

MAX_ANSWERS = 4096  # ~2 KB each (headers and body): a few MB at most
Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class Answer(NamedTuple):
    body: bytes
    headers: CIMultiDict  # as sent, X-Request-Id included (replaced on each replay)
    route: str  # the metrics' route label
    until: int  # ms: replayed only before this
    caches: tuple[int, int]  # the settings' and features' generations it was built with
    rows: tuple[tuple[str, tuple], ...]  # (token id, the cached row object) it was built from


def install(server: web.Server, app: web.Application) -> None:
    """`server`, built from `app` (shim.app.adjust_servers), replays before the app."""
    server.request_handler = Replayer(app).wrap(server.request_handler)


class Replayer:
    def __init__(self, app: web.Application) -> None:
        self.core: Core = app[CORE]
        self.clock: Callable[[], int] = app[CLOCK]
        self.metrics: Metrics = app[METRICS]
        self.in_flight: InFlight = app[IN_FLIGHT]
        self.answers: dict[tuple, Answer] = {}

    def wrap(self, handle: Handler) -> Handler:
        async def serve(request: web.BaseRequest) -> web.StreamResponse:
            key = _key(request)
            if key is None:
                return await handle(request)
            found = self.answers.get(key)
            if found is not None:
                if self._fresh(found) and not self.in_flight.full():
                    return self._replay(request, found)
                del self.answers[key]
            caches = self._caches()
            response = await handle(request)
            marked = request.get(REPLAYABLE)
            if marked is not None and caches == self._caches():
                self._record(key, request, response, marked, caches)
            return response

        return serve

    def _caches(self) -> tuple[int, int]:
        return self.core.settings.generation, self.core.features.generation

    def _fresh(self, answer: Answer) -> bool:
        rows = self.core.store.cached_rows()
        if rows is None or self.clock() >= answer.until or self._caches() != answer.caches:
            return False
        get = rows.get
        return all(get(token_id) is row for token_id, row in answer.rows)

    def _replay(self, request: web.BaseRequest, answer: Answer) -> web.Response:
        started = time.perf_counter()
        request[REQUEST_ID] = given = request_id(request)
        headers = answer.headers.copy()
        headers["X-Request-Id"] = given
        response = web.Response(body=answer.body, headers=headers)
        seconds = time.perf_counter() - started
        self.metrics.replayed(answer.route, seconds)
        log_request(request, 200, seconds, given)
        return response

    def _record(self, key: tuple, request: web.Request, response: web.StreamResponse,
                marked: Replayable, caches: tuple[int, int]) -> None:
        if not _repeatable(response):
            return
        rows = self.core.store.cached_rows()
        built_from = rows and _built_from(rows, marked)
        if not built_from:
            return
        answers = self.answers
        if len(answers) >= MAX_ANSWERS:
            del answers[next(iter(answers))]  # the oldest: cheap, good enough for a hot set
        answers[key] = Answer(response.body, response.headers.copy(), route_of(request),
                              marked.until, caches, built_from)


def _key(request: web.BaseRequest) -> tuple | None:
    """What the answer to a bodiless GET may depend on in the request: path and query,
    every header but the request id, and the connection's scheme and local address."""
    if request.method != "GET" or request.body_exists:
        return None
    raw = request.raw_headers
    if "X-Request-Id" in request.headers:
        raw = tuple(pair for pair in raw if pair[0].lower() != b"x-request-id")
    transport = request.transport
    local = transport.get_extra_info("sockname") if transport is not None else None
    return request.raw_path, raw, request.scheme, local


def _repeatable(response: web.StreamResponse) -> bool:
    return (type(response) is web.Response and response.status == 200
            and not response.prepared and isinstance(response.body, bytes)
            and "Set-Cookie" not in response.headers and guarded(response.headers))


def _built_from(rows: CachedRows, marked: Replayable) -> tuple[tuple[str, tuple], ...]:
    """(id, row) of the caller's and the shown token's rows, if the cache still holds the
    very objects the answer was built from; () if not (a write came in between)."""
    caller, shown = marked.caller, marked.shown
    mine, theirs = rows.get(caller.token.id), rows.get(shown.id)
    if (mine is None or mine[0] is not caller.token or mine[1] is not caller.user
            or theirs is None or theirs[0] is not shown):
        return ()
    if mine is theirs:
        return ((shown.id, mine),)
    return (caller.token.id, mine), (shown.id, theirs)
