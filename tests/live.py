"""A real `token-shim serve` process on a free port, for tests that drive real tools."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.missing_tools import skip_for_missing_tool

ADMIN_PASSWORD = "admin-password-1"


def require_tool(name: str, install_hint: str) -> str:
    """The tool's path; skip for a missing tool (tests/missing_tools.py) when it is missing."""
    found = shutil.which(name)
    if found:
        return found
    skip_for_missing_tool(f"{name} not found: {install_hint}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """Start with `start()`, stop with `stop()`; `url` is the base URL."""

    def __init__(self, workdir: Path, *args: str, env: dict[str, str] | None = None,
                 db: str | None = None, scheme: str = "http", ca_file: Path | None = None,
                 command: list[str] | None = None) -> None:
        self.workdir = workdir
        self.command = command or [sys.executable, "-m", "shim"]  # e.g. an installed token-shim
        self.port = free_port()
        self.db = db or f"sqlite:///{workdir}/shim.db"
        self.args = list(args)
        self.env = {**os.environ, **(env or {})}
        self.scheme = scheme
        self.ca_file = ca_file  # https: the CA to verify the server with (may appear at start)
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"server-{self.port}.log"

    def start(self, timeout: float = 15.0) -> "LiveServer":
        command = [*self.command, "serve", "--port", str(self.port),
                   "--db", self.db, "--bootstrap-password", ADMIN_PASSWORD, *self.args]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=self.env, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            if self._ready():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def _ready(self) -> bool:
        try:
            return self.call("GET", "/healthz")[0] == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self._log.close()
        self.proc = None
        return code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def call(self, method: str, path: str, body: Any = None, bearer: str | None = None,
             context=None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if bearer:
            request.add_header("Authorization", f"Bearer {bearer}")
        try:
            context = context or self._verifying_context()
            with urllib.request.urlopen(request, timeout=30, context=context) as resp:
                return resp.status, _parse(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, _parse(err.read())

    def _verifying_context(self) -> ssl.SSLContext | None:
        if self.ca_file is None or not self.ca_file.exists():
            return None
        return ssl.create_default_context(cafile=str(self.ca_file))

    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD, **extra) -> str:
        status, body = self.call("POST", "/v3-public/localProviders/local?action=login",
                                 {"username": username, "password": password, **extra})
        assert status == 201, body
        return body["token"]


def start_logged_in(servers: list[LiveServer]) -> list[LiveServer]:
    """Start the servers together (they race to bootstrap the admin); each gets `.admin`,
    an admin session."""
    with ThreadPoolExecutor(len(servers)) as pool:
        list(pool.map(LiveServer.start, servers))
    for server in servers:
        server.admin = server.login()
    return servers


def call_on_new_connection(port: int, method: str, path: str, body: Any = None,
                           bearer: str | None = None, timeout: float = 30,
                           context: ssl.SSLContext | None = None):
    """(status, raw body, headers) of one request on a connection of its own: which
    process of several on one port answers is the kernel's choice per connection."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context) \
        if context else http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.headers
    finally:
        conn.close()


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
