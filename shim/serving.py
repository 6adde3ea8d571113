"""Serving until told to stop, shared by `serve` (shim.cli) and its workers (shim.workers),
below both: the banner, the listen errors, the event loop, and the run itself, which does
what `aiohttp.web.run_app` does plus a stop a person at a terminal can follow.

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
import errno
import os
import signal
import socket
import sys
from typing import Callable

from aiohttp import web

from shim.app import StartupError, create_app
from shim.config import Config, where
from shim.store.factory import display_url

SHUTDOWN_TIMEOUT = 30.0  # seconds the requests in flight get to finish
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def banner(config: Config, context, more: str = "") -> str:
    scheme = "https" if context else "http"
    return (f"token-shim: serving on {scheme}://{config.host}:{config.port} "
            f"({display_url(config.db)}){more}")


def run(config: Config, context, ready: Callable[[], None], worker: int | None = None) -> int:
    """Serve until SIGTERM or SIGINT; `ready()` once listening. The exit code.

    `worker`: this process's index under `serve --workers` (shim.workers): the
    port is shared with the other workers (SO_REUSEPORT).
    """
    loop = new_loop(config)
    if loop is None:
        return 2
    try:
        serve_app(create_app(config, worker=worker), loop, config.host, config.port, context,
                  ready, reuse_port=True if worker is not None else None,
                  own_signals=worker is None)
    except StartupError as exc:
        print(f"token-shim serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if not is_listen_error(exc):
            raise
        print(listen_error(config, exc), file=sys.stderr)
        return 1
    return 0


def new_loop(config: Config):
    """The event loop to serve on; None, with the reason on stderr, when it cannot be had."""
    try:
        return event_loop(config.event_loop)
    except ImportError:
        print(f"token-shim serve: event_loop uvloop ({where(config, 'event_loop')}): uvloop "
              "is not installed (pip install 'token-shim[fast]')", file=sys.stderr)
        return None


def listen_error(config: Config, exc: OSError) -> str:
    hint = ("config file keys host and port" if {"host", "port"} & config.file_keys else
            "options host and port: --host/--port, TOKEN_SHIM_HOST/TOKEN_SHIM_PORT")
    return (f"token-shim serve: cannot listen on {config.host}:{config.port}: {_reason(exc)} "
            f"({hint})")


def event_loop(choice: str):
    """The loop to serve on: uvloop for `uvloop`, and for `auto` when it is installed."""
    if choice == "asyncio":
        return asyncio.new_event_loop()
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def is_listen_error(exc: OSError) -> bool:
    return isinstance(exc, socket.gaierror) or exc.errno in (
        errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "address already in use"
    return (exc.strerror or str(exc)).lower()


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
    caught half-sent would only end at the body timeout, as a 408. Long-lived answers
    (watches, websockets) end first: the app's on_shutdown hooks close them, as aiohttp's own
    stop does before it waits (they run again, harmlessly, in the runner's cleanup)."""
    await site.stop()
    await runner.app.shutdown()
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
