"""Process logging (text or JSON lines) and the request log.

The request log names the method, the path without its query string, the
status, the duration, the request id and the client address: never a header,
a cookie, a body or a query string, any of which may carry a secret.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import sys
import time
from datetime import datetime, timezone

from aiohttp import web


access = logging.getLogger("shim.access")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record; request fields become keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, tz=timezone.utc)
        line = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


def configure(level: str, fmt: str) -> None:
    """Root logging on stderr in `fmt` ("text" or "json")."""
    global _fast
    flush_access()
    handler = StderrHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    _fast = FastAccess(handler, fmt == "json")


def log_request(request: web.Request, status: int, seconds: float,
                request_id: str | None = None) -> None:
    """The access line for a response the client got (after errors were rendered)."""
    if not access.isEnabledFor(logging.INFO):
        return
    values = (request.method, request.rel_url.raw_path[:512], status, round(seconds * 1000, 2),
              request_id, request.remote)
    if _fast is None or not _fast.write(values):
        _emit(values)


def _emit(values: tuple) -> None:
    access.info(ACCESS_MESSAGE, *values, extra={"fields": dict(zip(ACCESS_FIELDS, values))})


class StderrHandler(logging.StreamHandler):
    """configure()'s handler: queued access lines go out before any other record."""

    def emit(self, record: logging.LogRecord) -> None:
        flush_access()
        super().emit(record)


ACCESS_MESSAGE = "%s %s %d %.1fms id=%s client=%s"
ACCESS_FIELDS = ("method", "path", "status", "durationMs", "requestId", "client")
FLUSH_DELAY = 0.01  # seconds queued access lines may wait: one write for many requests


class FastAccess:
    """The access line as configure()'s handler would write it, without a LogRecord.

    logging's record, formatter and handler cost about a fifth of a token read
    (docs/benchmarks.md, profile). While the access logger's records would go to
    that one handler only (no filter, no other handler: a test's capture, say,
    turns this off), the same line is built here, byte for byte: its values are
    queued, and formatted and written in one go FLUSH_DELAY later (and at exit,
    and before any other record), instead of a write and a flush per request
    (and a pass of the event loop for each: about 4 µs of a 58 µs token read).
    """

    def __init__(self, handler: logging.StreamHandler, json_lines: bool) -> None:
        self.handler, self.json_lines = handler, json_lines
        self.handlers = [handler]
        self.formatter = handler.formatter
        self._second, self._stamp = -1, ""
        self._lines: list[tuple[float, tuple]] = []  # (time, ACCESS_FIELDS values)

    def usable(self) -> bool:
        logger = access
        while logger.parent is not None:  # shim.access, shim: nothing of their own
            if logger.handlers or logger.filters or logger.disabled or not logger.propagate:
                return False
            logger = logger.parent
        handler = self.handler
        return (logger.handlers == self.handlers and not logger.filters
                and not handler.filters and handler.level <= logging.INFO
                and handler.formatter is self.formatter)

    def write(self, values: tuple) -> bool:
        """Queue the line of these ACCESS_FIELDS values (formatted when written); False,
        queuing nothing, when the line must go through logging instead. Whether it may
        is judged for the first line of a batch and again when the batch is written."""
        if self._lines:
            self._lines.append((time.time(), values))
            return True
        if not self.usable():
            return False
        self._lines.append((time.time(), values))
        try:
            asyncio.get_running_loop().call_later(FLUSH_DELAY, self.flush)
        except RuntimeError:
            self.flush()
        return True

    def line(self, created: float, values: tuple) -> str:
        message = ACCESS_MESSAGE % values
        if self.json_lines:
            stamp = datetime.fromtimestamp(created, tz=timezone.utc)
            line = {"time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "level": "info", "logger": access.name, "message": message,
                    **dict(zip(ACCESS_FIELDS, values))}
            return json.dumps(line, separators=(",", ":"), default=str) + "\n"
        second = int(created)
        if second != self._second:  # logging.Formatter's asctime: local time, then ,msecs
            self._second = second
            self._stamp = time.strftime(logging.Formatter.default_time_format,
                                        time.localtime(created))
        msecs = int((created - second) * 1000)
        return f"{self._stamp},{msecs:03d} INFO {access.name} {message}\n"

    def flush(self) -> None:
        queued, self._lines = self._lines, []  # swapped first: another thread's record may
        if not queued:  # flush from its emit() while the loop appends
            return
        if not self.usable():  # logging was configured anew meanwhile (a test's capture)
            for _, values in queued:
                _emit(values)
            return
        line = self.line
        text = "".join([line(created, values) for created, values in queued])
        handler = self.handler
        handler.acquire()
        try:
            handler.stream.write(text)
            handler.flush()
        except Exception:  # as logging.Handler.handleError does: never fail the server
            pass
        finally:
            handler.release()


_fast: FastAccess | None = None


def flush_access() -> None:
    """Write the queued access lines now (other writers of stderr call this first)."""
    if _fast is not None:
        _fast.flush()


atexit.register(flush_access)
