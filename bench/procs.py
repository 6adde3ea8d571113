"""Processes the benchmark starts: pinned to cores, logged to files, always stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Layout:
    """Which cores run what: the server under test, the load generator, PostgreSQL."""

    server: tuple[int, ...]
    load: tuple[int, ...]
    postgres: tuple[int, ...]
    every: tuple[int, ...]

    @classmethod
    def detect(cls) -> Layout:
        cores = tuple(sorted(os.sched_getaffinity(0)))
        server, load = cores[:1], cores[1:2] or cores[:1]
        return cls(server, load, cores[2:] or load, cores)

    def describe(self) -> str:
        same = (" (shared with the load generator: PostgreSQL's work, the purge's deletes too,"
                " competes with the latency recorder and inflates PostgreSQL latencies)"
                if self.postgres == self.load else "")
        return (f"server under test on core {_cores(self.server)}, wrk and the latency recorder"
                f" on core {_cores(self.load)}, PostgreSQL on core {_cores(self.postgres)}{same}")


def _cores(cores: tuple[int, ...]) -> str:
    return ",".join(map(str, cores))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    """One child process: `with Proc(...) as p:` starts it and always stops it."""

    def __init__(self, name: str, argv: list[str], logdir: Path, *, cpus: tuple[int, ...] = (),
                 env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        pin = ["taskset", "-c", _cores(cpus)] if cpus else []
        self.name, self.argv = name, pin + argv
        self.env, self.cwd = {**os.environ, **(env or {})}, cwd
        self.log_path = logdir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid  # taskset execs the command: the same pid

    def start(self) -> Proc:
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                          env=self.env, cwd=self.cwd, start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self.popen = None

    def log_tail(self, chars: int = 2000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-chars:]

    def __enter__(self) -> Proc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_ready(proc: Proc, url: str, headers: dict[str, str] | None = None,
               timeout: float = 60.0) -> float:
    """Seconds from now until `url` answers 200; raises with the log when it never does."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited early:\n{proc.log_tail()}")
        try:
            if call("GET", url, headers=headers, timeout=2)[0] == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{proc.name} not ready after {timeout}s:\n{proc.log_tail()}")


def call(method: str, url: str, body: Any = None, *, bearer: str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 30,
         raw: bytes | None = None) -> tuple[int, bytes]:
    """(status, body) of one request: `body` sent as JSON, or `raw` as it is (give its
    Content-Type in `headers`)."""
    data = json.dumps(body).encode() if body is not None else raw
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if bearer:
        request.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def call_json(method: str, url: str, body: Any = None, *, bearer: str | None = None,
              expect: int = 200) -> Any:
    status, raw = call(method, url, body, bearer=bearer)
    if status != expect:
        raise RuntimeError(f"{method} {url}: {status} (expected {expect}): {raw[:300]!r}")
    return json.loads(raw) if raw else None


def set_tree_affinity(root: int, cpus: tuple[int, ...]) -> None:
    """Pin a process and every descendant (PostgreSQL's postmaster and its backends)."""
    for pid in _descendants(root) | {root}:
        try:
            os.sched_setaffinity(pid, cpus)
        except (ProcessLookupError, PermissionError):
            pass


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def rss_mb(pid: int) -> float:
    """VmRSS of a live process, in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
