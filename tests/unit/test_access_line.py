"""The access line written without logging's machinery is the line logging would write."""

from __future__ import annotations

import contextlib
import io
import logging

import pytest

from shim import logs

FIELDS = {"method": "GET", "path": "/v3/tokens/token-abc12", "status": 200, "durationMs": 0.37,
          "requestId": "0a1b2c3d4e5f1", "client": "127.0.0.1"}
VALUES = tuple(FIELDS[name] for name in logs.ACCESS_FIELDS)


def logged_line(handler: logging.Handler, created: float) -> str:
    record = logging.LogRecord("shim.access", logging.INFO, __file__, 1, logs.ACCESS_MESSAGE,
                               (FIELDS["method"], FIELDS["path"], FIELDS["status"],
                                FIELDS["durationMs"], FIELDS["requestId"], FIELDS["client"]),
                               None)
    record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
    record.fields = FIELDS
    return handler.format(record) + "\n"


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("created", [1796128112.0, 1796128112.0009, 1796128112.9999, 1.5])
def test_the_quick_access_line_is_the_one_logging_formats(fmt, created):
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logs.JsonFormatter() if fmt == "json"
                         else logging.Formatter(logs.TEXT_FORMAT))
    fast = logs.FastAccess(handler, fmt == "json")
    assert fast.line(created, VALUES) == logged_line(handler, created)


def test_queued_access_lines_are_written_in_order_when_flushed():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logs.TEXT_FORMAT))
    fast = logs.FastAccess(handler, False)
    with only_handler(handler):
        assert fast.write(VALUES)  # no running loop: written at once
        assert fast.write(VALUES[:2] + (404,) + VALUES[3:])
    lines = stream.getvalue().splitlines()
    assert [line.split(" ")[6] for line in lines] == ["200", "404"]


def test_a_line_goes_through_logging_when_another_handler_listens():
    fast = logs.FastAccess(logging.StreamHandler(io.StringIO()), False)
    assert fast.write(VALUES) is False  # not the root's one handler: log_request emits it


@contextlib.contextmanager
def only_handler(handler: logging.Handler):
    root, saved = logging.getLogger(), logging.getLogger().handlers[:]
    root.handlers = [handler]
    try:
        yield
    finally:
        root.handlers = saved


def test_a_capturing_handler_gets_the_record_as_before():
    root, saved = logging.getLogger(), logging.getLogger().handlers[:]
    handler = logging.StreamHandler(io.StringIO())
    fast = logs.FastAccess(handler, False)
    try:
        root.handlers = [handler]
        assert fast.usable() == (handler.formatter is fast.formatter)
        root.handlers = [handler, logging.NullHandler()]  # a test's capture, say
        assert not fast.usable()
    finally:
        root.handlers = saved
