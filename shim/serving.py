"""Serving an app until it is told to stop: what `aiohttp.web.run_app` does, plus a
stop a person at a terminal can follow.

The first SIGINT or SIGTERM stops listening and says so at once, with the number
of requests still running, which get up to SHUTDOWN_TIMEOUT seconds to finish.
A second one stops the process at once and quietly (exit 1): no traceback, no
request logged as a 500; the requests cut off get their connection closed,
and whatever they had not committed is not committed. (`serve --workers`
installs its own handlers in each worker, see shim.workers.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Callable

from aiohttp import web

SHUTDOWN_TIMEOUT = 30.0  # seconds the requests in flight get to finish
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve_app(app: web.Application, loop: asyncio.AbstractEventLoop, host: str, port: int,
              context, ready: Callable[[], None], reuse_port: bool | None = None,
              own_signals: bool = True) -> None:
    """Run until stopped; exceptions of the start-up (StartupError, OSError) propagate.
    `own_signals` False: the caller's `ready` installs handlers that raise GracefulExit."""
    main = loop.create_task(_serve(app, host, port, context, ready, reuse_port, own_signals))
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main)
    except web.GracefulExit:
        main.cancel()  # its `finally` stops gracefully
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(main)
    finally:
        _cancel_left_tasks(loop)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _serve(app, host, port, context, ready, reuse_port, own_signals) -> None:
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT,
                           access_log=None)  # shim.logs logs requests without query strings
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=context, reuse_port=reuse_port)
        await site.start()
        stop = asyncio.Event()
        if own_signals:
            _on_stop_signals(asyncio.get_running_loop(), stop, runner)
        ready()
        await stop.wait()
        await _finish_in_flight(runner, site)
    finally:
        await runner.cleanup()


async def _finish_in_flight(runner: web.AppRunner, site: web.BaseSite) -> None:
    """Stop listening and let the requests in flight finish (up to SHUTDOWN_TIMEOUT), their
    bodies still arriving: aiohttp's own shutdown drops the rest of a body, so a request
    caught half-sent would only end at the body timeout, as a 408."""
    await site.stop()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_TIMEOUT
    while loop.time() < deadline:
        for conn in _connections(runner):
            if not getattr(conn, "_request_in_progress", False):
                conn.close()  # idle keep-alive: no new request on it
        if not requests_in_flight(runner):
            return
        await asyncio.sleep(0.05)


def _on_stop_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event,
                     runner: web.AppRunner) -> None:
    def first() -> None:
        if stop.is_set():
            return now()
        stop.set()
        running = requests_in_flight(runner)
        _say(f"stopping: waiting up to {SHUTDOWN_TIMEOUT:g} s for {running} request(s) in flight"
             " (Ctrl-C again to stop at once)" if running else "stopping")

    def now() -> None:
        _say(f"stopped at once: {requests_in_flight(runner)} request(s) cut off")
        os._exit(1)  # no cleanup to run into: the database drops what was not committed

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, first)


def requests_in_flight(runner: web.AppRunner) -> int:
    """Requests being read or handled. aiohttp keeps this on its connection handlers only
    (private attributes: 0 if a later aiohttp renames them, and the stop is aiohttp's)."""
    return sum(1 for conn in _connections(runner) if getattr(conn, "_request_in_progress", False))


def _connections(runner: web.AppRunner) -> list:
    return list(getattr(runner.server, "_connections", ()))


def _say(line: str) -> None:
    from shim.logs import flush_access

    flush_access()  # queued access lines first: stderr stays in order
    print(f"token-shim: {line}", file=sys.stderr, flush=True)


def _cancel_left_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
