"""Load generators: wrk (closed loop, throughput) and bench.latency (open loop, p99)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).parent
LUA = BENCH / "wrk" / "request.lua"


@dataclass(frozen=True)
class Request:
    """What wrk sends: one URL, one method, one Authorization, one or two alternating bodies."""

    url: str
    method: str = "GET"
    auth: str = ""
    body: str = ""
    body2: str = ""


@dataclass(frozen=True)
class WrkResult:
    rps: float
    requests: int
    non2xx: int
    socket_errors: int
    p99_ms: float


def wrk_command(req: Request, seconds: float, connections: int, cpus: tuple[int, ...]) -> list[str]:
    pin = ["taskset", "-c", ",".join(map(str, cpus))] if cpus else []
    return pin + ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                  "--timeout", "10s", "-s", str(LUA), req.url]


def _env(req: Request) -> dict[str, str]:
    return {**os.environ, "BENCH_METHOD": req.method, "BENCH_AUTH": req.auth,
            "BENCH_BODY": req.body, "BENCH_BODY2": req.body2}


def start_wrk(req: Request, seconds: float, connections: int,
              cpus: tuple[int, ...]) -> subprocess.Popen:
    return subprocess.Popen(wrk_command(req, seconds, connections, cpus), env=_env(req),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_wrk(proc: subprocess.Popen, seconds: float) -> WrkResult:
    try:
        out, _ = proc.communicate(timeout=seconds + 60)
    except BaseException as exc:  # a timeout, or the run being stopped: wrk goes too
        proc.kill()
        proc.communicate()
        if isinstance(exc, subprocess.TimeoutExpired):
            raise RuntimeError("wrk did not finish in time") from None
        raise
    for line in out.splitlines():
        if line.startswith("BENCH_JSON "):
            d = json.loads(line.removeprefix("BENCH_JSON "))
            seconds_run = d["duration_us"] / 1e6
            sock = d["connect"] + d["read"] + d["write"] + d["timeout"]
            return WrkResult(d["requests"] / seconds_run, d["requests"], d["non2xx"], sock,
                             d["p99_us"] / 1000)
    raise RuntimeError(f"wrk failed (exit {proc.returncode}):\n{out[-2000:]}")


def run_wrk(req: Request, seconds: float, connections: int, cpus: tuple[int, ...]) -> WrkResult:
    return finish_wrk(start_wrk(req, seconds, connections, cpus), seconds)


def checked(result: WrkResult, what: str) -> float:
    """Requests/s, refusing a run where anything failed (a 401 storm is not throughput)."""
    if result.non2xx or result.socket_errors or result.requests == 0:
        raise RuntimeError(f"{what}: {result.non2xx} non-2xx and {result.socket_errors} socket "
                           f"errors in {result.requests} requests")
    return result.rps


@dataclass(frozen=True)
class Samples:
    """Open-loop samples: (scheduled monotonic time, latency ms, HTTP status; 0 = error)."""

    rows: list[tuple[float, float, int]]

    def p99(self, start: float = float("-inf"), end: float = float("inf")) -> float:
        chosen = sorted(lat for t, lat, _ in self.rows if start <= t <= end)
        if not chosen:
            raise RuntimeError("no samples in the window")
        return percentile(chosen, 99)

    def count(self, start: float = float("-inf"), end: float = float("inf")) -> int:
        return sum(1 for t, _, _ in self.rows if start <= t <= end)

    def failures(self) -> int:
        return sum(1 for _, _, status in self.rows if not 200 <= status < 300)


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


class Recorder:
    """bench.latency in a subprocess: `start()`, then `finish()` (or `stop()` early)."""

    def __init__(self, base: str, targets: list[tuple[str, str]], rate: float, seconds: float,
                 cpus: tuple[int, ...]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-latency-"))
        (self.dir / "targets.json").write_text(json.dumps(targets))
        pin = ["taskset", "-c", ",".join(map(str, cpus))] if cpus else []
        self.argv = pin + [sys.executable, "-m", "bench.latency", "--base", base,
                           "--targets", str(self.dir / "targets.json"), "--rate", str(rate),
                           "--seconds", str(seconds), "--out", str(self.dir / "out.json")]
        self.seconds = seconds
        self.proc: subprocess.Popen | None = None

    def start(self) -> Recorder:
        with open(self.dir / "err.log", "wb") as err:
            self.proc = subprocess.Popen(self.argv, cwd=BENCH.parent, stdout=subprocess.DEVNULL,
                                         stderr=err)
        return self

    def started_at(self, timeout: float = 30) -> float:
        """The monotonic time of its first scheduled request (once it has begun)."""
        marker, deadline = self.dir / "out.json.start", time.monotonic() + timeout
        while not marker.exists():
            if self.proc is None or self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"latency recorder did not start: {self._err()}")
            time.sleep(0.01)
        return float(marker.read_text())

    def stop(self) -> Samples:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.finish()

    def finish(self) -> Samples:
        assert self.proc is not None
        try:
            self.proc.wait(self.seconds + 60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("latency recorder did not finish in time") from None
        out = self.dir / "out.json"
        if self.proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"latency recorder failed: {self._err()}")
        return Samples([tuple(r) for r in json.loads(out.read_text())["rows"]])

    def _err(self) -> str:
        return (self.dir / "err.log").read_text(errors="replace")[-2000:]

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def record(base: str, targets: list[tuple[str, str]], rate: float, seconds: float,
           cpus: tuple[int, ...]) -> Samples:
    with Recorder(base, targets, rate, seconds, cpus) as rec:
        return rec.finish()
