"""Profile the token GET: CPU per request, and optionally a py-spy profile.

    .venv/bin/python -m bench.profile                    # token-shim, default config, /v3
    .venv/bin/python -m bench.profile --face terraform --log-level warning
    .venv/bin/python -m bench.profile --bare             # the bare aiohttp handler
    .venv/bin/python -m bench.profile --bare --low-level # ... on web.Server, no Application
    .venv/bin/python -m bench.profile --spy out.txt      # py-spy collapsed stacks (needs py-spy)
    .venv/bin/python -m bench.profile --spy out.svg      # ... or a flame graph
    .venv/bin/python -m bench.profile --root /tmp/base   # the shim of another checkout

The server runs on core 0 and wrk on core 1, as in `make bench`. CPU per request
(the server's utime+stime over the run, divided by the requests) is far steadier
than requests/s on a shared machine, so A/B comparisons of a change use it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import contenders, tools
from bench.loadgen import Request, checked, finish_wrk, start_wrk
from bench.procs import Layout, cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--face", choices=("v3", "terraform"), default="v3")
    parser.add_argument("--log-level", default="info", help="info is the default configuration")
    parser.add_argument("--event-loop", default="asyncio", help="asyncio (the Quick start's),"
                        " uvloop or auto")
    parser.add_argument("--bare", action="store_true", help="profile the bare aiohttp handler")
    parser.add_argument("--low-level", action="store_true", help="with --bare: the handler on"
                        " aiohttp's low-level server (web.Server), no Application or router")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--root", type=Path, default=tools.ROOT,
                        help="run the shim of this checkout (A/B against another commit)")
    parser.add_argument("--spy", type=Path, metavar="FILE",
                        help="py-spy's profile of the first round: a flame graph if FILE"
                        " ends in .svg, else collapsed stacks")
    args = parser.parse_args()
    if args.low_level and not args.bare:
        parser.error("--low-level profiles a bare handler: add --bare")
    layout = Layout.detect()
    with tempfile.TemporaryDirectory(prefix="token-shim-profile-") as tmp:
        work = Path(tmp)
        shim = contenders.Shim("token-shim", f"sqlite:///{work}/shim.db", work, layout.server,
                               log_level=args.log_level, event_loop=args.event_loop,
                               root=args.root)
        with shim:
            admin = shim.admin_token()
            shim.enable_hashing(admin)
            bearer = shim.terraform_token(admin)
            cap = contenders.capture(shim, bearer)
            if not args.bare:
                _measure(shim, cap, args.face, args, layout)
        if args.bare:
            with contenders.bare(cap, work, work, layout.server,
                                 low_level=args.low_level) as bare:
                _measure(bare, cap, "v3", args, layout)


def _measure(server: contenders.Server, cap: contenders.Captured, face: str, args,
             layout: Layout) -> None:
    path = f"/v3/tokens/{cap.token_id}" if face == "v3" else f"/terraform/v1/tokens/{cap.token_id}"
    req = Request(server.url + path, auth=cap.auth)
    for round_ in range(args.rounds):
        spy = _start_spy(server.proc.pid, args) if args.spy and round_ == 0 else None
        before = cpu_seconds(server.proc.pid)
        result = finish_wrk(start_wrk(req, args.seconds, args.connections, layout.load),
                            args.seconds)
        used = cpu_seconds(server.proc.pid) - before
        rps = checked(result, path)
        print(f"{rps:10,.0f} req/s  {used / result.requests * 1e6:6.1f} µs CPU a request"
              f"  p99 {result.p99_ms:.2f} ms")
        if spy:
            spy.wait()


def _start_spy(pid: int, args) -> subprocess.Popen:
    venv = str(Path(sys.executable).parent)
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=venv)
    if not spy:
        raise SystemExit("--spy needs py-spy: pip install py-spy")
    fmt = "flamegraph" if args.spy.suffix == ".svg" else "raw"
    return subprocess.Popen([spy, "record", "-r", "250", "-f", fmt, "-d",
                             str(max(1, int(args.seconds) - 1)), "-p", str(pid), "-o",
                             str(args.spy)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
