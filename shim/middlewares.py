"""Request ids, errors rendered per face, and authentication."""

from __future__ import annotations

import base64
import binascii
import logging
import re
import uuid

from aiohttp import web

from shim.errors import ApiError, render, server_error
from shim.keys import CLOCK, CORE, PRINCIPAL, REQUEST_ID

log = logging.getLogger("shim")

# /metrics checks its own access (the `metrics` option); /docs and /openapi.json are open.
PUBLIC_PREFIXES = ("/v3-public/", "/healthz", "/readyz", "/openapi.json", "/docs", "/metrics")
_REQUEST_ID = re.compile(r"[!-~]{1,200}")
_HTTP_CODES = {404: "NotFound", 405: "MethodNotAllow", 413: "RequestEntityTooLarge"}


def face_of(path: str) -> str:
    if path.startswith("/terraform/"):
        return "terraform"
    if path.startswith("/k8s/"):
        return "kube"
    return "v3"


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    """Every failure becomes the error body of the face the path belongs to."""
    request_id = request.headers.get("X-Request-Id", "")
    if not _REQUEST_ID.fullmatch(request_id):  # it goes into logs: printable ASCII only
        request_id = uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except ApiError as err:
        response = _error_response(request, err)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        err = ApiError(exc.status, _HTTP_CODES.get(exc.status, exc.reason.replace(" ", "")),
                       _http_message(request, exc))
        response = _error_response(request, err)
    except Exception:
        log.exception("request %s %s failed (request id %s)", request.method, request.path, request_id)
        response = _error_response(request, server_error())
    response.headers["X-Request-Id"] = request_id
    return response


def _http_message(request: web.Request, exc: web.HTTPException) -> str:
    if exc.status == 404:
        return f"{request.path} not found"
    if exc.status == 405:
        return f"method {request.method} not allowed on {request.path}"
    if exc.status == 413:
        return "request body is too large"
    return exc.text or exc.reason


def _error_response(request: web.Request, err: ApiError) -> web.Response:
    body = render(face_of(request.path), err)
    return web.json_response(body, status=err.status, headers=err.headers)


def overload_guard(limit: int):
    """429 with Retry-After once `limit` requests are in flight; nothing is started."""
    in_flight = 0

    @web.middleware
    async def guard(request: web.Request, handler) -> web.StreamResponse:
        nonlocal in_flight
        if in_flight >= limit:
            raise ApiError(429, "TooManyRequests", "the server is busy; retry later",
                           headers={"Retry-After": "1"})
        in_flight += 1
        try:
            return await handler(request)
        finally:
            in_flight -= 1

    return guard


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith(PUBLIC_PREFIXES):
        core, now = request.app[CORE], request.app[CLOCK]()
        request[PRINCIPAL] = await core.auth.authenticate(credential(request), request.path, now)
    return await handler(request)


def credential(request: web.Request) -> str | None:
    """`<id>:<secret>` from Bearer, Basic or the R_SESS cookie; the header wins."""
    header = request.headers.get("Authorization")
    if header is None:
        return request.cookies.get("R_SESS")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None
