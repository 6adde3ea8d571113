"""Times the amplification attacks of issue 22 (findings 2-4) against a real server.

    .venv/bin/python -m bench.attacks [--root CHECKOUT] [--scale small|full]

Starts `python -m shim serve` from this checkout (or `--root`'s, for a before/after
comparison) on SQLite in a temporary folder, creates a user, and for each attack prints
the body size, the status, the server time of the attack, the slowest `/healthz` answered
meanwhile (polled every 50 ms), and its ratio to a harmless request of the same kind timed
in the same run. Loopback only; every attack is bounded (`--scale small` keeps the ones
that are exponential on old code at a size a busy machine survives).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import procs
from bench.procs import free_port

PASSWORD = "admin-password-1"
TOKENS = "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens"


class Server:
    def __init__(self, root: Path, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "server.log", "wb")
        env = {**os.environ, "PYTHONPATH": str(root)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shim", "serve", "--port", str(self.port),
             "--db", f"sqlite:///{workdir}/shim.db", "--bootstrap-password", PASSWORD,
             "--audit-log", "off"],
            cwd=workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def call(self, method: str, path: str, body: bytes | None = None, bearer: str = "",
             ctype: str = "application/json", timeout: float = 120) -> tuple[int, bytes]:
        return procs.call(method, self.url + path, bearer=bearer or None, raw=body,
                          headers={"Content-Type": ctype}, timeout=timeout)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


class HealthWatch:
    """The slowest /healthz answer while the block runs."""

    def __init__(self, server: Server) -> None:
        self.server, self.worst, self._stop = server, 0.0, threading.Event()

    def _poll(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.server.call("GET", "/healthz", timeout=120)
            except OSError:
                pass
            self.worst = max(self.worst, time.monotonic() - started)
            self._stop.wait(0.05)

    def __enter__(self) -> "HealthWatch":
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def timed(server: Server, method: str, path: str, body: bytes | None, bearer: str,
          ctype: str = "application/json") -> dict:
    with HealthWatch(server) as health:
        started = time.monotonic()
        status, reply = server.call(method, path, body, bearer, ctype)
        seconds = time.monotonic() - started
    return {"status": status, "seconds": seconds, "healthz": health.worst,
            "body": len(body or b"") + len(path), "reply": len(reply),
            "message": _message(reply)}


def _message(reply: bytes) -> str:
    try:
        return str(json.loads(reply).get("message", ""))[:90]
    except (ValueError, AttributeError):
        return reply[:90].decode(errors="replace")


def user_bearer(server: Server) -> str:
    login = "/v3-public/localProviders/local?action=login"
    admin = json.loads(server.call("POST", login, json.dumps(
        {"username": "admin", "password": PASSWORD}).encode())[1])["token"]
    server.call("POST", "/v3/users", json.dumps(
        {"username": "mallory", "password": "user-password-1"}).encode(), admin)
    return json.loads(server.call("POST", login, json.dumps(
        {"username": "mallory", "password": "user-password-1"}).encode())[1])["token"]


def json_patch(copies: int) -> bytes:
    ops = [{"op": "add", "path": "/x", "value": [1]}]
    ops += [{"op": "copy", "from": "/x", "path": "/x/-"}] * copies
    return json.dumps(ops, separators=(",", ":")).encode()


def yaml_aliases(levels: int) -> bytes:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels + 1):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    lines += ["apiVersion: ext.cattle.io/v1", "kind: Token",
              "metadata: {name: own, annotations: {x: *a%d}}" % levels]
    return "\n".join(lines).encode()


def attacks(scale: str) -> list[tuple[str, str, str, object, str]]:
    """(name, method, path, body, content type); the body may be a callable of the bearer."""
    small = scale == "small"
    spaces = " " * 7900
    big_annotations = {"metadata": {"annotations": {f"k{i}": "v" * 4000 for i in range(15)}}}
    return [
        ("json patch: 1 copy (baseline)", "PATCH", f"{TOKENS}/own", json_patch(1),
         "application/json-patch+json"),
        (f"json patch: {18 if small else 22} doubling copies", "PATCH", f"{TOKENS}/own",
         json_patch(18 if small else 22), "application/json-patch+json"),
        ("apply yaml: no alias (baseline)", "PATCH", f"{TOKENS}/own",
         b"apiVersion: ext.cattle.io/v1\nkind: Token\nmetadata: {name: own}\nspec: {x: 1}",
         "application/apply-patch+yaml"),
        (f"apply yaml: {5 if small else 8} levels of x10 aliases", "PATCH", f"{TOKENS}/own",
         yaml_aliases(5 if small else 8), "application/apply-patch+yaml"),
        ("apply yaml: 3,000 nested [", "PATCH", f"{TOKENS}/own", b"[" * 3000 + b"]" * 3000,
         "application/apply-patch+yaml"),
        ("selector: labelSelector=a=b (baseline)", "GET", f"{TOKENS}?labelSelector=a%3Db",
         None, ""),
        ("selector: labelSelector=a + 7,900 spaces + !", "GET",
         f"{TOKENS}?labelSelector=a{spaces.replace(' ', '+')}!", None, ""),
        ("selector: fieldSelector=metadata.name=a + 7,900 spaces + b", "GET",
         f"{TOKENS}?fieldSelector=metadata.name%3Da{spaces.replace(' ', '+')}b", None, ""),
        ("json patch: 100 copies of a 10,000-node value", "PATCH",
         f"{TOKENS}/own", json.dumps([{"op": "add", "path": "/x", "value": [[]] * 10_000}]
                                     + [{"op": "copy", "from": "/x", "path": "/y"}] * 99
                                     ).encode(), "application/json-patch+json"),
        ("json patch: 30 KB value + 700 adds (worst in caps)", "PATCH",
         f"{TOKENS}/own", json.dumps([{"op": "add", "path": "/x", "value": [[]] * 10_000}]
                                     + [{"op": "add", "path": "/z", "value": 1}] * 700,
                                     separators=(",", ":")).encode(),
         "application/json-patch+json"),
        ("apply yaml: 64 KB of '- - - -' lines (worst in caps)", "PATCH", f"{TOKENS}/own",
         b"- - - -\n" * 8000, "application/apply-patch+yaml"),
        ("merge patch: 15 x 4,000-char annotations", "PATCH", f"{TOKENS}/own",
         json.dumps(big_annotations).encode(), "application/merge-patch+json"),
    ]


def list_attack(server: Server, bearer: str, count: int) -> list[dict]:
    """`count` tokens with the largest annotations the server takes, then the list."""
    accepted, size = 0, 60_000
    for n in range(count):
        body = {"metadata": {"name": f"bulk-{n}", "annotations": {"a": "v" * size}}, "spec": {}}
        status, _ = server.call("POST", TOKENS, json.dumps(body).encode(), bearer)
        if status != 201 and size > 1000:
            size = 30_000  # the cap refused 60 KB: fill to just under 32 KB instead
            status, _ = server.call("POST", TOKENS, json.dumps(
                body | {"metadata": {"name": f"bulk-{n}", "annotations": {"a": "v" * size}}}
            ).encode(), bearer)
        accepted += status == 201
    rows = [timed(server, "GET", TOKENS, None, bearer) | {"name": f"list of {accepted} tokens "
                                                           f"({size // 1000} KB annotations)"}]
    rows.append(timed(server, "GET", f"{TOKENS}?limit=1", None, bearer)
                | {"name": "the same list, ?limit=1"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--scale", choices=("small", "full"), default="small")
    parser.add_argument("--tokens", type=int, default=300, help="tokens for the list attack")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(args.root, Path(tmp))
        try:
            rows = run(server, args)
        finally:
            server.stop()
    baseline = {}
    print(f"{'attack':58} {'bytes':>7} {'status':>6} {'seconds':>8} {'x base':>7} "
          f"{'healthz':>8} {'reply':>10}  message")
    for row in rows:
        kind = row["name"].split(":")[0]
        if "baseline" in row["name"]:
            baseline[kind] = row["seconds"]
        ratio = row["seconds"] / baseline[kind] if kind in baseline else float("nan")
        print(f"{row['name']:58} {row['body']:7} {row['status']:6} {row['seconds']:8.3f} "
              f"{ratio:7.0f} {row['healthz']:8.3f} {row['reply']:10}  {row['message']}")


def run(server: Server, args: argparse.Namespace) -> list[dict]:
    bearer = user_bearer(server)
    made = server.call("POST", TOKENS, json.dumps(
        {"metadata": {"name": "own"}, "spec": {}}).encode(), bearer)
    assert made[0] == 201, made
    rows = []
    for name, method, path, body, ctype in attacks(args.scale):
        rows.append(timed(server, method, path, body, bearer, ctype) | {"name": name})
        if rows[-1]["status"] == 200:  # keep the token small for the next attack
            server.call("PATCH", f"{TOKENS}/own", b'{"metadata":{"annotations":null}}', bearer,
                        "application/merge-patch+json")
    return rows + list_attack(server, bearer, args.tokens)


if __name__ == "__main__":
    main()
