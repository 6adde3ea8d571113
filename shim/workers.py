"""`serve --workers N`: one port, N processes, each with its own event loop and store.

The parent does the one-time start-up (`shim.app.start_once`: migrations,
pinned settings, token hashing, the `admin` user) and TLS (already resolved
by the caller), then forks N workers that each listen on host:port with
SO_REUSEPORT: the kernel spreads new connections over them. It prints one
banner once all of them listen, and supervises:

- SIGTERM or SIGINT is passed on (once) to every worker; each stops as
  `serve` does (in-flight requests finish, up to 30 s), and the parent exits
  0 once all have stopped so;
- a worker that ends otherwise (killed, crashed, out of memory) is restarted
  with backoff (logged; `token_shim_worker_restarts_total` counts it) while the
  others keep serving the port; only a worker that fails to start START_FAILURES
  times in a row stops the others, and the parent exits 1: a supervisor
  (systemd, Kubernetes) restarts the whole;
- the workers' metrics are summed in one scrape through files in a private
  directory (`shim.metrics`: each worker writes its counters there);
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
import tempfile
import time
from multiprocessing.connection import Connection, wait

from shim import serving
from shim.config import Config

STOP_GRACE = 45.0  # seconds a worker gets to stop (aiohttp's shutdown_timeout is 30)
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
CLEAN_STOP = (0, -signal.SIGTERM)  # asked to stop: done, or stopped before serving
RESTART_BASE = 0.5  # seconds before a dead worker is restarted; doubled per crash in a row
RESTART_MAX = 30.0  # seconds: the longest wait before a restart
STABLE_AFTER = 30.0  # seconds a worker serves before its crash count starts again
START_FAILURES = 3  # a worker ending before it listens so many times in a row stops the whole
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
    with reserved, tempfile.TemporaryDirectory(prefix="token-shim-metrics-") as shared:
        config = dataclasses.replace(config, port=reserved.getsockname()[1], metrics_dir=shared)
        if (code := _start_once(config)) != 0:
            return code
        return Supervisor(config, context, reserved).run()


def _unsupported(config: Config) -> str:
    from shim.store.factory import sqlite_path

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
    """Forks the workers, restarts the ones that die (with backoff), stops them all on a signal.

    A worker that dies after it listened is restarted after RESTART_BASE seconds,
    doubled per crash in a row up to RESTART_MAX (a worker that served STABLE_AFTER
    seconds starts the count again), as gunicorn's arbiter does; the port keeps
    answering on the others meanwhile. A worker that ends before it listens
    START_FAILURES times in a row stops the whole (exit 1): a broken configuration
    or database is not fixed by forking again.
    """

    def __init__(self, config: Config, context, reserved: socket.socket) -> None:
        self.config, self.context, self.reserved = config, context, reserved
        self.workers: dict[int, multiprocessing.Process] = {}  # by index: the current process
        self.starting: dict[Connection, int] = {}  # the ready pipes of workers not yet listening
        self.listening_since: dict[int, float] = {}
        self.crashes = dict.fromkeys(range(config.workers), 0)  # in a row, per index
        self.start_failures = dict.fromkeys(range(config.workers), 0)
        self.restarts = dict.fromkeys(range(config.workers), 0)
        self.due: dict[int, float] = {}  # index: when it is restarted
        self.stopping = False
        self.failed = False
        self.announced = False
        self.signalled: set[int] = set()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        try:
            for index in range(self.config.workers):
                self._fork(index)
            return self._watch()
        finally:
            self.reserved.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _fork(self, index: int) -> None:
        forking = multiprocessing.get_context("fork")
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
        self.workers[index] = worker
        self.starting[receive] = index
        if self.stopping:  # a signal came while forking: this one is told too
            self._stop_all()

    def _watch(self) -> int:
        """Supervise until every worker has ended; 0 only if asked to stop and all did cleanly."""
        deadline = None
        while self.workers or self.due:  # all dead at once: their restarts are still due
            now = time.monotonic()
            if self.stopping and deadline is None:
                deadline = now + STOP_GRACE
                self.due.clear()
            # A signal does not cut wait() short: look again every second at most.
            wakes = [now + 1.0, *self.due.values()] if deadline is None else [deadline]
            sentinels = {w.sentinel: i for i, w in self.workers.items()}
            ready = wait([*self.starting, *sentinels], max(0.0, min(wakes) - now))
            for item in ready:
                if item in sentinels:
                    self._ended(sentinels[item])
                elif item in self.starting:  # not if its worker's end came first (closed)
                    self._listening(item)
            if deadline is not None and not ready and time.monotonic() >= deadline:
                for worker in self.workers.values():  # past the grace period: killed
                    worker.kill()
                self.failed, deadline = True, time.monotonic() + STOP_GRACE
            self._restart_due()
        return 1 if self.failed else 0

    def _listening(self, pipe: Connection) -> None:
        index = self.starting.pop(pipe)
        try:
            pipe.recv()
        except (EOFError, OSError):  # it ended before listening: _ended counts that
            return
        finally:
            pipe.close()
        self.listening_since[index] = time.monotonic()
        self.start_failures[index] = 0
        if not self.announced and not self.starting and not self.stopping:
            self.announced = True
            self.reserved.close()  # the workers hold the port now
            pids = ", ".join(str(self.workers[i].pid) for i in sorted(self.workers))
            print(serving.banner(self.config, self.context,
                             f" with {len(self.workers)} workers (pids {pids})"),
                  file=sys.stderr, flush=True)

    def _ended(self, index: int) -> None:
        worker = self.workers.pop(index)
        worker.join()
        for pipe, of in list(self.starting.items()):
            if of == index:  # it never listened
                del self.starting[pipe]
                pipe.close()
        since = self.listening_since.pop(index, None)
        if self.stopping:
            if worker.exitcode not in CLEAN_STOP:
                self._report(worker, "while stopping")
                self.failed = True
            return
        if since is None:
            self.start_failures[index] += 1
            if self.start_failures[index] >= START_FAILURES:
                self._report(worker, f"before listening, {START_FAILURES} times in a row;"
                                     " stopping the others")
                self.failed = True
                self._stop_all()
                return
        elif time.monotonic() - since >= STABLE_AFTER:
            self.crashes[index] = 0
        delay = min(RESTART_MAX, RESTART_BASE * 2 ** self.crashes[index])
        self.crashes[index] += 1
        self._report(worker, f"unexpectedly; restarting it in {delay:g} s")
        self.due[index] = time.monotonic() + delay

    def _restart_due(self) -> None:
        now = time.monotonic()
        for index, when in sorted(self.due.items()):
            if when <= now and not self.stopping:
                del self.due[index]
                self.restarts[index] += 1
                self._fork(index)
                _write_restarts(self.config, self.restarts)
                print(f"token-shim: {self.workers[index].name} restarted"
                      f" (pid {self.workers[index].pid}, restart {self.restarts[index]})",
                      file=sys.stderr, flush=True)

    def _report(self, worker: multiprocessing.Process, then: str) -> None:
        code = worker.exitcode or 0
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        print(f"token-shim: {worker.name} (pid {worker.pid}) {how} {then}",
              file=sys.stderr, flush=True)

    def _on_signal(self, signum, frame) -> None:
        self._stop_all()

    def _stop_all(self) -> None:
        self.stopping = True
        for worker in self.workers.values():
            if worker.pid not in self.signalled and worker.exitcode is None:
                self.signalled.add(worker.pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGTERM)


def _write_restarts(config: Config, restarts: dict[int, int]) -> None:
    """Where the workers' /metrics reads the restart counts (shim.metrics.WorkerStats)."""
    from shim.metrics import write_restarts

    if config.metrics_dir:
        write_restarts(config.metrics_dir, restarts)


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
