"""The one middleware every request passes: request id, limits, authentication, errors.

One layer rather than a stack of five: each aiohttp middleware costs a
coroutine and a wrapper per request, which on a token read is a sizeable
share of the whole.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import re
import time

from aiohttp import web

from shim import origin, policy
from shim.client_certs import CLIENT_CERTS, RemoteUser
from shim.errors import ApiError, forbidden, render, server_error, unauthorized, unavailable
from shim.face_paths import not_found_message
from shim.faces.http import credential
from shim.keys import CLOCK, CORE, OPEN_PREFIXES, PRINCIPAL, REQUEST_ID
from shim.logs import log_request
from shim.metrics import Metrics

log = logging.getLogger("shim")

# /metrics checks its own access (the `metrics` option); /docs and /openapi.json are open.
# /v1-public is open so that its unknown paths answer 404 (the Rancher CLI 2.14+ then falls
# back to /v3-public); /ping answers `pong` to anyone, as Rancher's does.
# /v1/authenticate (TokenReview) checks its own caller (the `review_access` option).
REVIEW_PATH = "/v1/authenticate"
PUBLIC_PREFIXES = ("/v3-public/", "/v1-public/", "/healthz", "/readyz", "/openapi.json", "/docs",
                   "/metrics", "/ping", "/dashboard/login", "/dashboard/static/", REVIEW_PATH)
# Probes write no URL and must answer whatever Host a load balancer sends.
HOST_UNCHECKED = frozenset({"/healthz", "/readyz"})
# Open to anonymous callers, yet authenticated when a live credential comes along: what
# Rancher's dashboard reads before login (public settings, plugins, versions), and logout.
OPTIONAL_AUTH_PREFIXES = ("/v1/management.cattle.io.setting", "/v1/uiplugins",
                          "/rancherversion", "/version", "/v1/logout")
_REQUEST_ID = re.compile(r"[!-~]{1,200}")
_HTTP_CODES = {404: "NotFound", 405: "MethodNotAllow", 413: "RequestEntityTooLarge"}
# Generated request ids: unique per process (random prefix) and cheap (a counter).
_ID_PREFIX = os.urandom(6).hex()
_ID_COUNTER = itertools.count(1)


def _new_id_prefix() -> None:
    """A forked process (a `serve --workers` worker) draws a prefix of its own."""
    global _ID_PREFIX
    _ID_PREFIX = os.urandom(6).hex()


os.register_at_fork(after_in_child=_new_id_prefix)


def face_of(path: str) -> str:
    if path.startswith("/terraform/"):
        return "terraform"
    if path.startswith(("/k8s/", REVIEW_PATH)) or policy.is_kube_root_path(path):
        return "kube"
    return "v3"


def _as_is(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    return response


def _nothing(request: web.Request) -> None:
    return None


class InFlight:
    """Requests running now, and how many may run at once (more get 429)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.count = limit, 0

    def full(self) -> bool:
        return self.count >= self.limit


IN_FLIGHT = web.AppKey("in_flight", InFlight)


def front_door(in_flight: InFlight, metrics: Metrics, body_timeout: float = 10.0, *,
               screen=_nothing, finish=_as_is):
    """The middleware: outermost to innermost, what used to be five of them.

    - `screen(request)`, first: a response that stops the request there (the web
      face's CSRF refusal, which it logs itself), or None;
    - `finish(request, response)`, last, after the access line: the response the
      client gets instead (the web face's HTML for a browser, its CSRF cookie);
    - a request id (the client's X-Request-Id if printable, else a new one);
    - the access log line and the metrics, for the response the client got;
    - every failure rendered as the error body of the face the path belongs to;
    - the whole body read before the request counts as running: 408 (and the
      connection closed) when it takes longer than `body_timeout` seconds, so
      slow clients cannot hold the slots of `in_flight`;
    - 429 with Retry-After once `in_flight` is full (never for /healthz);
    - 503 with Retry-After when the store says a failure means the database is
      away (shim.store.base.Store.unavailable), 500 for any other failure;
    - authentication of every path that is not public.
    """
    async def answer(request: web.Request, handler) -> web.StreamResponse:
        try:
            if request.path not in HOST_UNCHECKED:
                origin.base_url(request)  # 400 unless the Host names this server
            if request.body_exists:
                await _read_body(request, body_timeout)
            if in_flight.full() and request.path != "/healthz":
                raise ApiError(429, "TooManyRequests", "the server is busy; retry later",
                               headers={"Retry-After": "1"})
            in_flight.count += 1
            try:
                _not_served(request)  # 404 whoever asks, before any credential is looked at
                if request.path.startswith(OPTIONAL_AUTH_PREFIXES):
                    await _authenticate_if_live(request)
                elif not request.path.startswith(PUBLIC_PREFIXES
                                                 + request.app.get(OPEN_PREFIXES, ())):
                    await _authenticate(request)
                return _with_schemas(request, await handler(request))
            finally:
                in_flight.count -= 1
        except ApiError as err:
            return _with_schemas(request, _error_response(request, err, metrics))
        except web.HTTPException as exc:
            if exc.status < 400:  # redirects and the like pass through
                raise
            error = _http_error(request, exc)
            return _with_schemas(request, _error_response(request, error, metrics))
        except Exception as exc:
            if (why := request.app[CORE].store.unavailable(exc)) is not None:
                log.warning("request %s %s: the database is unavailable (%s; request id %s)",
                            request.method, request.path, why, request[REQUEST_ID])
                return _with_schemas(request, _error_response(request, unavailable(), metrics))
            log.exception("request %s %s failed (request id %s)", request.method, request.path,
                          request[REQUEST_ID])
            return _error_response(request, server_error(), metrics)

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        refused = screen(request)
        if refused is not None:
            return _edge_headers(request, finish(request, refused))
        started, status = time.perf_counter(), 500
        request[REQUEST_ID] = given_id = request_id(request)
        try:
            response = await answer(request, handler)
            response.headers["X-Request-Id"] = given_id
            status = response.status
            if status == 408:
                await _send_and_close(request, response)
        except web.HTTPException as exc:
            status = exc.status
            _edge_headers(request, exc)
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.observe(request, status, seconds)
            log_request(request, status, seconds, given_id)
        return _edge_headers(request, finish(request, response))

    return middleware


def _edge_headers(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """HSTS when clients reach the server over https; `no-store` unless the response
    says how it may be cached (answers may carry a secret: a new token, a kubeconfig)."""
    if response.prepared:
        return response
    headers = response.headers
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    if origin.secure(request):
        headers["Strict-Transport-Security"] = origin.HSTS
    return response


async def _send_and_close(request: web.Request, response: web.StreamResponse) -> None:
    """Send the response now and close the connection: the rest of a body that was
    too slow to arrive is not worth waiting for (aiohttp would linger up to 10 s)."""
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()  # the transport flushes what was written, then closes


async def _read_body(request: web.Request, seconds: float) -> None:
    """Read the body into the request (handlers' read() returns it from there)."""
    try:
        async with asyncio.timeout(seconds):
            await request.read()
    except TimeoutError:
        raise ApiError(408, "RequestTimeout",
                       f"the request body did not arrive within {seconds:g} seconds",
                       headers={"Connection": "close"}) from None
    except web.RequestPayloadError as exc:  # e.g. a Content-Encoding the body does not match
        raise ApiError(400, "BadRequest", f"the body could not be read: {exc}") from None


def _with_schemas(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Norman's X-API-Schemas on every /v3 (and /v1) answer but the authentication filter's
    401: Go clients refuse a root without it, the Python client loads the types from it.
    X-API-Cattle-Auth (whether the caller is logged in) on every answer: Rancher's
    dashboard decides from it to show its login page."""
    if not response.prepared:
        response.headers["X-API-Cattle-Auth"] = "true" if PRINCIPAL in request else "false"
    path = request.path
    if not path.startswith(("/v3", "/v1")) or path[3:4] not in ("", "/"):
        return response
    if response.status == 401 and PRINCIPAL not in request:
        return response
    try:
        response.headers["X-API-Schemas"] = f"{origin.base_url(request)}{path[:3]}/schemas"
    except ApiError:  # the Host is refused: no URL to write
        pass
    return response


def request_id(request: web.Request) -> str:
    """The client's X-Request-Id if printable ASCII (it goes into logs), else a new one."""
    given = request.headers.get("X-Request-Id")
    if given is not None and _REQUEST_ID.fullmatch(given):
        return given
    return f"{_ID_PREFIX}{next(_ID_COUNTER):x}"


def _not_served(request: web.Request) -> None:
    """A path no route serves is 404 for everyone: a typo in a public path (`/v3-publc/`)
    must not answer `must authenticate`. A known path's wrong method stays 401 first."""
    if isinstance(request.match_info.http_exception, web.HTTPNotFound):
        raise request.match_info.http_exception


async def _authenticate(request: web.Request) -> None:
    app = request.app
    auth, now = app[CORE].auth, app[CLOCK]()
    if policy.is_kube_root_path(request.path):
        remote = app[CLIENT_CERTS].front_proxy(request)
        if remote is not None:
            return await _as_remote_user(request, remote, now)
    request[PRINCIPAL] = found = await auth.authenticate(credential(request), request.path, now)
    if found.user.must_change_password and not policy.allowed_before_password_change(
            request.method, request.path, request.query.get("action")):
        raise forbidden("you must change your password first:"
                        " POST /v3/users?action=changepassword")


async def _as_remote_user(request: web.Request, remote: RemoteUser, now: int) -> None:
    """A front proxy's request: discovery and OpenAPI for whoever it vouches for (its own
    availability check and OpenAPI download name users token-shim does not know, as do
    kube users browsing discovery); everything else as the token-shim user it names."""
    path = request.path
    if request.method == "GET" and not (path.startswith("/apis/") and path.count("/") > 3):
        return
    if not remote.name:
        raise unauthorized("front proxy request without X-Remote-User")
    request[PRINCIPAL] = await request.app[CORE].auth.front_proxy(remote.name, remote.token_id,
                                                                  now)


async def _authenticate_if_live(request: web.Request) -> None:
    """Authenticate when a credential is given; a dead one leaves the caller anonymous."""
    if credential(request) is None:
        return
    try:
        await _authenticate(request)
    except ApiError as err:
        if err.status not in (401, 403):
            raise
        request.pop(PRINCIPAL, None)


def _http_error(request: web.Request, exc: web.HTTPException) -> ApiError:
    code = _HTTP_CODES.get(exc.status, exc.reason.replace(" ", ""))
    return ApiError(exc.status, code, _http_message(request, exc))


def _http_message(request: web.Request, exc: web.HTTPException) -> str:
    if exc.status == 404:
        return not_found_message(request.path)
    if exc.status == 405:
        return f"method {request.method} not allowed on {request.path}"
    if exc.status == 413:
        return "request body is too large"
    return exc.text or exc.reason


def _error_response(request: web.Request, err: ApiError, metrics: Metrics) -> web.Response:
    if err.reason and err.status in (401, 429):
        metrics.auth_failures.labels(err.reason).inc()
    face = face_of(request.path)
    return web.json_response(render(face, err), status=err.status, headers=err.headers,
                             dumps=json.dumps if face == "terraform" else _json_line)


def _json_line(body) -> str:
    """Errors end in a newline as answers do (shim.faces.http.respond); not on the
    Terraform face, whose bodies the restapi provider keeps as they are."""
    return json.dumps(body) + "\n"
