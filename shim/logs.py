"""Process logging (text or JSON lines) and the request log.

The request log names the method, the path without its query string, the
status, the duration, the request id and the client address: never a header,
a cookie, a body or a query string, any of which may carry a secret.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from aiohttp import web

from shim.keys import REQUEST_ID

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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)


def log_request(request: web.Request, status: int, seconds: float) -> None:
    """The access line for a response the client got (after errors were rendered)."""
    if not access.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": request.method, "path": request.rel_url.raw_path[:512], "status": status,
        "durationMs": round(seconds * 1000, 2), "requestId": request.get(REQUEST_ID),
        "client": request.remote,
    }
    access.info("%s %s %d %.1fms id=%s client=%s", fields["method"], fields["path"], status,
                fields["durationMs"], fields["requestId"], fields["client"],
                extra={"fields": fields})
