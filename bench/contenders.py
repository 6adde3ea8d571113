"""The servers under test: token-shim, bare aiohttp handlers, json-server, fakeserver."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import tools
from bench.procs import Proc, call, call_json, free_port, wait_ready

ADMIN_PASSWORD = "bench-admin-password-1"
NEVER = str(365 * 86400)  # --purge-interval: no purge during a measurement


class Server:
    """A process answering on 127.0.0.1:port; `startup` is seconds until it was ready."""

    ready_path = "/"

    def __init__(self, name: str, argv: list[str], logdir: Path, cpus: tuple[int, ...],
                 port: int, **kwargs) -> None:
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.proc = Proc(name, argv, logdir, cpus=cpus, **kwargs)
        self.startup = 0.0
        self.ready_headers: dict[str, str] = {}

    def start(self) -> Server:
        began = time.monotonic()
        self.proc.start()
        try:
            wait_ready(self.proc, self.url + self.ready_path, self.ready_headers)
        except BaseException:
            self.proc.stop()
            raise
        self.startup = time.monotonic() - began
        return self

    def stop(self) -> None:
        self.proc.stop()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Shim(Server):
    ready_path = "/healthz"

    def __init__(self, name: str, db: str, logdir: Path, cpus: tuple[int, ...], *,
                 purge_interval: str = NEVER, port: int | None = None,
                 log_level: str = "warning", event_loop: str = "asyncio",
                 root: Path = tools.ROOT, workers: int = 1) -> None:
        """`log_level` info is the default configuration (an access line per request);
        the scale and replica groups keep warning, as before. `root` is the checkout
        whose `shim` runs (bench.profile compares two). `workers`: `serve --workers`."""
        port = port or free_port()
        argv = [sys.executable, "-m", "shim", "serve", "--port", str(port), "--db", db,
                "--bootstrap-password", ADMIN_PASSWORD, "--log-level", log_level,
                "--purge-interval", purge_interval, "--event-loop", event_loop,
                "--workers", str(workers),
                "--max-tokens-per-user", "0"]  # the create rounds make far more than 1,000
        super().__init__(name, argv, logdir, cpus, port, cwd=root)
        self.workers = workers

    def start(self) -> Shim:
        """Ready once every worker listens: the banner says so after the last one."""
        super().start()
        deadline = time.monotonic() + 30
        while self.workers > 1 and f"with {self.workers} workers" not in self.proc.log_tail():
            if time.monotonic() > deadline or not self.proc.alive():
                self.stop()
                raise RuntimeError(f"{self.proc.name}: not all workers listen:\n"
                                   f"{self.proc.log_tail()}")
            time.sleep(0.05)
        return self

    def admin_token(self) -> str:
        """An admin API token (not a session: no idle timeout while a benchmark runs)."""
        session = call_json("POST", f"{self.url}/v3-public/localProviders/local?action=login",
                            {"username": "admin", "password": ADMIN_PASSWORD}, expect=201)
        created = call_json("POST", f"{self.url}/v3/tokens", {"description": "bench admin"},
                            bearer=session["token"], expect=201)
        return created["token"]

    def enable_hashing(self, admin: str) -> None:
        call_json("PUT", f"{self.url}/v3/features/token-hashing", {"value": True}, bearer=admin)

    def terraform_token(self, admin: str) -> str:
        """A token created through the Terraform face, so both faces can read it."""
        body = {"description": "bench", "ttl": 3600000}
        return call_json("POST", f"{self.url}/terraform/v1/tokens", body, bearer=admin,
                         expect=201)["token"]


@dataclass(frozen=True)
class Captured:
    """token-shim's answer to an authenticated GET of a token, served by the baselines."""

    token_id: str
    bearer: str
    body: bytes

    @property
    def auth(self) -> str:
        return f"Bearer {self.bearer}"

    def obj(self) -> dict:
        return json.loads(self.body)


def capture(shim: Shim, bearer: str) -> Captured:
    token_id = bearer.partition(":")[0]
    status, body = call("GET", f"{shim.url}/v3/tokens/{token_id}", bearer=bearer)
    if status != 200:
        raise RuntimeError(f"GET /v3/tokens/{token_id}: {status} {body[:200]!r}")
    return Captured(token_id, bearer, body)


def bare(cap: Captured, workdir: Path, logdir: Path, cpus: tuple[int, ...],
         uvloop: bool = False, low_level: bool = False) -> Server:
    """The bare handler on a web.Application, or with `low_level` on web.Server alone."""
    body = workdir / "bare-body.json"
    body.write_bytes(cap.body)
    port = free_port()
    flags = {"--uvloop": uvloop, "--low-level": low_level}
    argv = [sys.executable, str(tools.BENCH / "bare_aiohttp.py"), "--port", str(port),
            "--body", str(body)] + [flag for flag, on in flags.items() if on]
    name = "bare-aiohttp" + "-low-level" * low_level + "-uvloop" * uvloop
    server = Server(name, argv, logdir, cpus, port, env={"BENCH_AUTH": cap.auth})
    server.ready_path = f"/v3/tokens/{cap.token_id}"
    server.ready_headers = {"Authorization": cap.auth}
    return server


def shape_server(logdir: Path, cpus: tuple[int, ...], name: str = "shape-server") -> Server:
    port = free_port()
    argv = [sys.executable, str(tools.BENCH / "shape_server.py"), "--port", str(port)]
    server = Server(name, argv, logdir, cpus, port)
    server.ready_path = "/healthz"
    return server


def json_server(cap: Captured, workdir: Path, logdir: Path, cpus: tuple[int, ...]) -> Server:
    db = workdir / "json-server" / "db.json"
    db.parent.mkdir(exist_ok=True)
    db.write_text(json.dumps({"tokens": [cap.obj()]}))
    port = free_port()
    argv = ["node", str(tools.json_server_bin()), "--host", "127.0.0.1", "--port", str(port),
            "--quiet", str(db)]
    server = Server("json-server", argv, logdir, cpus, port, cwd=db.parent)
    server.ready_path = f"/tokens/{cap.token_id}"
    return server


def fakeserver(workdir: Path, logdir: Path, cpus: tuple[int, ...],
               seed: dict[str, dict] | None = None, name: str = "fakeserver") -> Server:
    port = free_port()
    argv = [str(tools.fakeserver_bin()), "-port", str(port)]
    if seed:
        path = workdir / f"{name}-seed.json"
        path.write_text(json.dumps(seed))
        argv += ["-seed", str(path)]
    server = Server(name, argv, logdir, cpus, port)
    server.ready_path = f"/api/objects/{next(iter(seed))}" if seed else "/api/objects"
    return server
