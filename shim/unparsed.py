"""What the server answers for a request aiohttp could not parse, before any handler runs.

aiohttp's own answer quotes the offending bytes in a plain-text 400 and logs a
traceback holding them: for `Authorization: Bearer <id>:<secret>\\n` (a pasted
token with a trailing newline) that is the secret, in the reply and in the log.
Here the reply is the v3 face's JSON error naming the kind of fault, never the
bytes, and the log line says the same.

aiohttp has no setting for this answer: `RequestHandler.handle_error` builds it, and
a handler is made per connection by the app's `Server`. `install`, run on each server
built from the app (shim.app.adjust_servers), turns it into one whose connections use
`Protocol`, aiohttp's handler with that one method replaced.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, LineTooLong
from aiohttp.web_protocol import RequestHandler

from shim.errors import ApiError, render

log = logging.getLogger("shim")

# llhttp's fault descriptions ("Missing expected CR after header value") come before a
# colon and the quoted bytes; anything else is described by its class alone.
_DESCRIPTION = re.compile(r"[A-Za-z][A-Za-z ,()-]{0,79}")


def install(server: web.Server) -> None:
    """Make `server` answer unparsable requests with `Protocol`."""
    server.__class__ = _Server  # the same server, making our protocol


class Protocol(RequestHandler):
    __slots__ = ()

    def handle_error(self, request: web.BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        """aiohttp's answer for 5xx (it shows no request bytes); ours for the 4xx of a
        request that could not be parsed."""
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        fault = describe(exc)
        # Not HTTP at all (TLS or a scanner on a plain port) is noise, as aiohttp deems it.
        level = logging.DEBUG if isinstance(exc, BadHttpMethod) else logging.WARNING
        log.log(level, "refused an unparsable request from %s: %s (%d)", request.remote, fault,
                status)
        error = ApiError(status, "BadRequest", f"the request could not be parsed: {fault}")
        response = web.json_response(render("v3", error), status=status)
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return Protocol(self, loop=self._loop, **self._kwargs)


def describe(exc: BaseException | None) -> str:
    """The kind of fault, without a byte of the request."""
    if isinstance(exc, BadHttpMethod):
        return "not an HTTP request (bad method)"
    if isinstance(exc, LineTooLong):
        return "a request line or header is too long"
    head, colon, _ = str(getattr(exc, "message", "") or "").partition(":")
    if colon and _DESCRIPTION.fullmatch(head.strip()):
        return head.strip()
    return type(exc).__name__ if exc is not None else "malformed request"
