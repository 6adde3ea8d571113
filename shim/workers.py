"""`serve --workers N`: one port, N processes, each with its own event loop and store.

The parent does the one-time start-up (`shim.app.start_once`: migrations,
pinned settings, token hashing, the `admin` user) and TLS (already resolved
by the caller), then forks N workers that each listen on host:port with
SO_REUSEPORT: the kernel spreads new connections over them. It prints one
banner once all of them listen, and supervises:

- SIGTERM or SIGINT is passed on (once) to every worker; each stops as
  `serve` does (in-flight requests finish, up to 30 s), and the parent exits
  0 once all have stopped so;
- a worker that ends otherwise (killed, crashed, failed to start) stops the
  others, and the parent exits 1: a supervisor (systemd, Kubernetes) restarts
  the whole;
- a worker whose parent dies gets SIGTERM (Linux), so none is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.connection import Connection, wait

from shim import serving
from shim.config import Config

STOP_GRACE = 45.0  # seconds a worker gets to stop (aiohttp's shutdown_timeout is 30)
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
CLEAN_STOP = (0, -signal.SIGTERM)  # asked to stop: done, or stopped before serving
PR_SET_PDEATHSIG = 1


def supervise(config: Config, context) -> int:
    """Run the workers until stopped; the exit code."""
    if problem := _unsupported(config):
        print(f"token-shim serve: {problem}", file=sys.stderr)
        return 2
    loop = serving.new_loop(config)  # uvloop missing: say so once, not once per worker
    if loop is None:
        return 2
    loop.close()
    try:
        reserved = _reserve_port(config)
    except OSError as exc:
        if not serving.is_listen_error(exc):
            raise
        print(serving.listen_error(config, exc), file=sys.stderr)
        return 1
    with reserved:
        config = dataclasses.replace(config, port=reserved.getsockname()[1])
        if (code := _start_once(config)) != 0:
            return code
        return Supervisor(config, context, reserved).run()


def _unsupported(config: Config) -> str:
    from shim.store import sqlite_path

    if config.db.startswith("sqlite:") and sqlite_path(config.db) == ":memory:":
        return (f"workers {config.workers} (--workers, TOKEN_SHIM_WORKERS) needs a database "
                f"file or PostgreSQL: {config.db} is one database per process (option db)")
    return ""


def _reserve_port(config: Config) -> socket.socket:
    """A socket bound (not listening) to host:port with SO_REUSEPORT, as the workers' will be:
    a port in use fails here, once, and port 0 becomes one port for all the workers."""
    family, kind, proto, _, address = socket.getaddrinfo(
        config.host, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _start_once(config: Config) -> int:
    from shim.app import StartupError, start_once

    try:
        asyncio.run(start_once(config))
    except StartupError as exc:
        print(f"token-shim serve: {exc}", file=sys.stderr)
        return 1
    return 0


class Supervisor:
    def __init__(self, config: Config, context, reserved: socket.socket) -> None:
        self.config, self.context, self.reserved = config, context, reserved
        self.workers: list[multiprocessing.Process] = []
        self.stopping = False
        self.signalled: set[int] = set()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        try:
            ready = self._start()
            self.reserved.close()  # the workers hold the port now
            if ready and not self.stopping:
                pids = ", ".join(str(w.pid) for w in self.workers)
                print(serving.banner(self.config, self.context,
                                 f" with {len(self.workers)} workers (pids {pids})"),
                      file=sys.stderr, flush=True)
            return self._watch()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self) -> bool:
        """Fork the workers; whether all of them listen (False: one ended first)."""
        forking = multiprocessing.get_context("fork")
        pending: dict[Connection, multiprocessing.Process] = {}
        for index in range(self.config.workers):
            receive, send = forking.Pipe(duplex=False)
            worker = forking.Process(
                target=_worker, name=f"worker {index}",
                args=(self.config, self.context, index, send, os.getpid(), self.reserved))
            # Blocked across the fork: the child must not run this process's handlers.
            signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
            try:
                worker.start()
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            send.close()
            self.workers.append(worker)
            pending[receive] = worker
            if self.stopping:  # a signal came while forking: this one is told too
                self._stop_all()
        sentinels = {w.sentinel: w for w in self.workers}
        while pending:
            for done in wait([*pending, *sentinels]):
                if done in sentinels:
                    return False  # a worker ended before all listened: _watch says which
                with contextlib.suppress(EOFError, OSError):
                    done.recv()
                done.close()
                del pending[done]
        return True

    def _watch(self) -> int:
        """Wait until every worker has ended; 0 only if they were asked to and all did cleanly."""
        running = {w.sentinel: w for w in self.workers}
        failed, deadline = False, None
        while running:
            if self.stopping and deadline is None:
                deadline = time.monotonic() + STOP_GRACE
            # A signal does not cut wait() short: look again every second.
            timeout = 1.0 if deadline is None else max(0.0, deadline - time.monotonic())
            ended = wait(list(running), timeout)
            if not ended and deadline is None:
                continue
            if not ended:  # past the grace period: what is left is killed
                for worker in running.values():
                    worker.kill()
                failed = True
                deadline = time.monotonic() + STOP_GRACE
                continue
            for sentinel in ended:
                worker = running.pop(sentinel)
                worker.join()
                if not (self.stopping and worker.exitcode in CLEAN_STOP):
                    self._report(worker, asked=self.stopping)
                    failed = True
                    self._stop_all()
        return 1 if failed else 0

    def _report(self, worker: multiprocessing.Process, asked: bool) -> None:
        code = worker.exitcode or 0
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        then = "while stopping" if asked else "unexpectedly; stopping the others"
        print(f"token-shim: {worker.name} (pid {worker.pid}) {how} {then}",
              file=sys.stderr, flush=True)

    def _on_signal(self, signum, frame) -> None:
        self._stop_all()

    def _stop_all(self) -> None:
        self.stopping = True
        for worker in self.workers:
            if worker.pid not in self.signalled and worker.exitcode is None:
                self.signalled.add(worker.pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGTERM)


def _worker(config: Config, context, index: int, ready: Connection, parent: int,
            reserved: socket.socket) -> None:
    """A worker process: serve on the shared port until SIGTERM or SIGINT."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    reserved.close()
    _die_with(parent)

    def listening() -> None:
        _stop_once(asyncio.get_running_loop())
        ready.send(os.getpid())
        ready.close()

    try:
        code = serving.run(config, context, listening, worker=index)
    finally:
        from shim.logs import flush_access

        flush_access()  # multiprocessing ends the child with os._exit: no atexit
    sys.exit(code)


def _die_with(parent: int) -> None:
    """SIGTERM when the parent dies (Linux; elsewhere a no-op)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


def _stop_once(loop: asyncio.AbstractEventLoop) -> None:
    """aiohttp stops on SIGTERM or SIGINT, but a second one would cut the graceful stop
    short (exit 1); a worker may get two: the parent's, and the same signal sent to the
    whole group (Ctrl-C in a terminal, systemd's default KillMode=control-group)."""
    from aiohttp import web

    stopping = False

    def stop() -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise web.GracefulExit()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop)
