"""The audit log: one JSON line per security-relevant event, never a secret.

    {"time": "2027-01-15T08:00:00.000Z", "event": "token.create", "actor": "user-x2b4c",
     "target": "token-5fq9z", "outcome": "success", "requestId": "...", "client": "10.0.0.7"}

Destination: `audit_log` = `stderr` (default), a file path (appended to), or `off`.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, AsyncIterator, Awaitable, Callable, TextIO

import orjson
from aiohttp import web

from shim import policy
from shim.errors import ApiError
from shim.keys import CLOCK, CONFIG, CORE, JSON_BODY, PRINCIPAL, REQUEST_ID
from shim.logs import flush_access


class AuditLog:
    def __init__(self, destination: str) -> None:
        self.destination = destination
        self._out: TextIO | None = None

    def open(self) -> None:
        if self.destination == "stderr":
            self._out = sys.stderr
        elif self.destination != "off":
            self._out = open(self.destination, "a", encoding="utf-8", buffering=1)

    def close(self) -> None:
        if self._out is not None and self._out is not sys.stderr:
            self._out.close()
        self._out = None

    def write(self, now_ms: int, event: str, **fields: Any) -> None:
        if self._out is None:
            return
        line = {"time": rfc3339_ms(now_ms), "event": event, **fields}
        if self._out is sys.stderr:
            flush_access()  # queued access lines first: stderr stays in order
        self._out.write(orjson.dumps(line, default=str, option=orjson.OPT_APPEND_NEWLINE).decode())
        self._out.flush()


AUDIT = web.AppKey("audit", AuditLog)


def rfc3339_ms(ms: int) -> str:
    return f"{policy.rfc3339(ms)[:-1]}.{ms % 1000:03d}Z"


def setup(app: web.Application) -> None:
    """Hang the audit log off the app; it is opened and closed with the app."""
    app[AUDIT] = AuditLog(app[CONFIG].audit_log)
    app.cleanup_ctx.append(_lifecycle)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    app[AUDIT].open()
    yield
    app[AUDIT].close()


def audit(request: web.Request, event: str, target: str | None, outcome: str,
          **fields: Any) -> None:
    """Record `event` on `target` by the caller of `request`; fields must hold no secret."""
    principal = request.get(PRINCIPAL)
    actor = {"actor": principal.user.id if principal else None}
    if principal and principal.token.id:  # no id: a front proxy's user (no token-shim token)
        actor["actorToken"] = principal.token.id
    request.app[AUDIT].write(
        request.app[CLOCK](), event, **actor, target=target, outcome=outcome,
        requestId=request.get(REQUEST_ID), client=request.remote, **fields,
    )


def audit_unavailable(request: web.Request, event: str, target: str | None,
                      exc: Exception, **fields: Any) -> None:
    """Record `event` as failed with 503 when `exc` means the database is away (the front
    door answers so); nothing for any other exception, which is a 500 and logged there."""
    if request.app[CORE].store.unavailable(exc) is not None:
        audit(request, event, target, "failure", **fields, status=503,
              reason="store-unavailable")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def audited(event: str, *fields: str, actions: dict[str, str] | None = None):
    """Audit a handler: "success" with `fields` picked from its JSON response, or
    "failure" with the status of the ApiError it raised (503 when the database was
    away). The target is the path's id or name, else the response's `id`. `actions`
    maps ?action= values to events.
    """

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def run(request: web.Request) -> web.StreamResponse:
            name = (actions or {}).get(request.query.get("action", ""), event)
            target = request.match_info.get("id") or request.match_info.get("name")
            try:
                response = await handler(request)
            except ApiError as err:
                audit(request, name, target, "failure", status=err.status,
                      reason=err.reason or err.code)
                raise
            except Exception as exc:
                audit_unavailable(request, name, target, exc)
                raise
            body = _json_object(response)
            picked = {f: body[f] for f in fields if f in body}
            audit(request, name, body.get("id", target), "success", **picked)
            return response

        return run

    return wrap


def _json_object(response: web.StreamResponse) -> dict[str, Any]:
    """The JSON object http.respond serialized into `response`; {} for anything else."""
    body = response.get(JSON_BODY)
    return body if isinstance(body, dict) else {}
