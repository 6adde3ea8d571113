"""Open-loop latency recorder: requests at a fixed rate, each timed from when it was due.

Timing from the scheduled moment (not from when it was actually sent) counts a
stall of the server against every request that should have gone out during it,
which a closed-loop tool like wrk hides ("coordinated omission").

    python -m bench.latency --base URL --targets FILE --rate N --seconds S --out FILE

FILE holds [[path, authorization], ...], used round-robin. The output is
{"rows": [[due (monotonic s), latency ms, status], ...]}; status 0 is a failure.
SIGINT stops early and still writes the output. `<out>.start` holds the monotonic
time of the first request as soon as it is due.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from pathlib import Path

import aiohttp


async def one(session: aiohttp.ClientSession, url: str, auth: str, due: float,
              rows: list) -> None:
    headers = {"Authorization": auth} if auth else {}
    try:
        async with session.get(url, headers=headers) as resp:
            await resp.read()
            status = resp.status
    except (aiohttp.ClientError, asyncio.TimeoutError):
        status = 0
    rows.append((due, (time.monotonic() - due) * 1000, status))


async def run(base: str, targets: list, rate: float, seconds: float, out: Path) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
    rows: list = []
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start, tasks = time.monotonic() + 0.05, []
        Path(f"{out}.start").write_text(repr(start))
        for i in range(int(rate * seconds)):
            due = start + i / rate
            if await _sleep_until(due, stop):
                break
            path, auth = targets[i % len(targets)]
            tasks.append(asyncio.create_task(one(session, base + path, auth, due, rows)))
        await asyncio.gather(*tasks)
    out.write_text(json.dumps({"rows": sorted(rows)}))


async def _sleep_until(due: float, stop: asyncio.Event) -> bool:
    """Wait until `due`; True when asked to stop meanwhile."""
    delay = due - time.monotonic()
    if delay > 0:
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except asyncio.TimeoutError:
            pass
    return stop.is_set()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.latency")
    parser.add_argument("--base", required=True)
    parser.add_argument("--targets", required=True, type=Path)
    parser.add_argument("--rate", required=True, type=float)
    parser.add_argument("--seconds", required=True, type=float)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    targets = json.loads(args.targets.read_text())
    asyncio.run(run(args.base, targets, args.rate, args.seconds, args.out))


if __name__ == "__main__":
    main()
