"""Direct store access for the scale runs: bulk seeding, and counting expired tokens.

Rows are built as `Token` records and turned into INSERT_TOKEN's parameters by
`sql.token_params`, so seeding follows the store's own columns. SQLite gets one
executemany transaction, PostgreSQL a COPY.

Ids are `token-` + 6 characters of the id alphabet (one more than a real id:
the server takes an id of any length), enumerated in ascending order (27^6 =
387M of them): live token n is number 14n, expired token n is number 140n + 7,
so the two sets never collide and interleave over the table. That holds up to
27.6M live and 2.7M expired tokens.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import sqlite3
import threading
import time
from typing import Iterator

import asyncpg

from shim import crypto
from shim.store import sql
from shim.store.factory import sqlite_path
from shim.store.base import Token

DIGITS = "".join(sorted(crypto.ALPHABET))
KNOWN_SECRET = (crypto.ALPHABET * 2)[: crypto.SECRET_LENGTH]
QUERIED = 1000  # tokens spread over the table whose secret is KNOWN_SECRET
DAY_MS = 86_400_000
# Random bytes -> id-alphabet characters (a slight bias is irrelevant for filler secrets).
_RANDOM = bytes.maketrans(bytes(range(256)), bytes(ord(DIGITS[b % 27]) for b in range(256)))


SUFFIX = 6  # characters after `token-`
_HALF = 27 ** (SUFFIX // 2)
_HALVES = ["".join(t) for t in itertools.product(DIGITS, repeat=SUFFIX // 2)]
LIVE_STEP, EXPIRED_STEP, EXPIRED_START = 14, 140, 7
CHUNK = 100_000  # rows whose filler secrets are drawn at once


def token_id(number: int) -> str:
    high, low = divmod(number, _HALF)
    return "token-" + _HALVES[high] + _HALVES[low]


def live_id(n: int) -> str:
    return token_id(LIVE_STEP * n)


def _ids(count: int, expired: bool) -> Iterator[str]:
    """token_id(14n) (live) or token_id(140n + 7) (expired) for n < count."""
    start, step = (EXPIRED_START, EXPIRED_STEP) if expired else (0, LIVE_STEP)
    if start + step * count > _HALF * _HALF:
        raise ValueError(f"{count:,} {'expired' if expired else 'live'} tokens do not fit "
                         f"in {SUFFIX} id characters")
    return map(token_id, range(start, start + step * count, step))


def queried(count: int) -> list[int]:
    """The live tokens (by n) that authenticate with KNOWN_SECRET: spread evenly."""
    return list(range(0, count, max(1, count // QUERIED)))[:QUERIED]


def _template(user_id: str, created: int, ttl: int, description: str) -> tuple[list, int, int, int]:
    """INSERT_TOKEN parameters of one token, and where its id, secret and uuid go."""
    params = list(sql.token_params(Token(
        id="\0id", user_id=user_id, kind="api", secret="\0secret", description=description,
        ttl=ttl, ttl_requested=ttl, created=created, uuid="\0uuid",
    )))
    return params, params.index("\0id"), params.index("\0secret"), params.index("\0uuid")


def _rows(user_id: str, count: int, now: int, expired: bool) -> Iterator[tuple]:
    known = set() if expired else set(queried(count))
    created, ttl = (now - 2 * DAY_MS, DAY_MS) if expired else (now, 90 * DAY_MS)
    row, at_id, at_secret, at_uuid = _template(
        user_id, created, ttl, "bench-expired" if expired else "")
    size = crypto.SECRET_LENGTH
    for n, token_id_ in enumerate(_ids(count, expired)):
        if n % CHUNK == 0:
            noise = os.urandom(CHUNK * size).translate(_RANDOM).decode()
        at = n % CHUNK * size
        row[at_id] = token_id_
        row[at_secret] = KNOWN_SECRET if n in known else noise[at:at + size]
        row[at_uuid] = f"00000000-0000-4000-{int(expired):04d}-{n:012d}"
        yield tuple(row)


def columns() -> list[str]:
    found = re.search(r"INSERT INTO tokens \(([^)]*)\)", sql.INSERT_TOKEN)
    assert found, "INSERT_TOKEN has an unexpected shape"
    return [c.strip() for c in found.group(1).split(",")]


def seed(db: str, count: int, *, expired: bool = False) -> float:
    """Insert `count` tokens of the admin user; returns the seconds it took."""
    began, now = time.monotonic(), time.time_ns() // 1_000_000
    if db.startswith("sqlite:"):
        _seed_sqlite(sqlite_path(db), count, now, expired)
    else:
        asyncio.run(_seed_pg(db, count, now, expired))
    return time.monotonic() - began


def _seed_sqlite(path: str, count: int, now: int, expired: bool) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # A throwaway store: no journal while seeding (the server turns WAL back on).
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -262144")
        admin = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
        db.execute("BEGIN")
        db.executemany(sql.INSERT_TOKEN, _rows(admin, count, now, expired))
        db.execute("COMMIT")
        db.execute("ANALYZE")
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()


async def _seed_pg(url: str, count: int, now: int, expired: bool) -> None:
    conn = await asyncpg.connect(url)
    try:
        admin = await conn.fetchval("SELECT id FROM users WHERE username = 'admin'")
        await conn.copy_records_to_table("tokens", records=_rows(admin, count, now, expired),
                                         columns=columns())
        await conn.execute("VACUUM ANALYZE tokens")
    finally:
        await conn.close()


COUNT_EXPIRED = "SELECT count(*) FROM tokens WHERE expires IS NOT NULL AND expires <= {now}"


class ExpiredCounter(threading.Thread):
    """Counts expired tokens: [(monotonic time the count began, count), ...].

    Every `every` seconds, or after twice as long as the last count took if that is
    longer: counting 1M expired tokens takes ~40 ms, and counts back to back would keep
    the load generator's core busy."""

    def __init__(self, db: str, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.db, self.every = db, every
        self.seen: list[tuple[float, int]] = []
        self.halt = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            if self.db.startswith("sqlite:"):
                self._sqlite()
            else:
                asyncio.run(self._pg())
        except BaseException as exc:  # reported by the caller
            self.failure = exc

    def _query(self) -> str:
        return COUNT_EXPIRED.format(now=time.time_ns() // 1_000_000)

    def _pause(self) -> float:
        if not self.seen:
            return self.every
        return max(self.every, 2 * (time.monotonic() - self.seen[-1][0]))

    def _sqlite(self) -> None:
        path = sqlite_path(self.db)  # an absolute path may come as //tmp/...
        path = "/" + path.lstrip("/") if path.startswith("/") else os.path.abspath(path)
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            while not self.halt.wait(self._pause()):
                began = time.monotonic()
                self.seen.append((began, db.execute(self._query()).fetchone()[0]))
        finally:
            db.close()

    async def _pg(self) -> None:
        conn = await asyncpg.connect(self.db)
        try:
            while not self.halt.wait(self._pause()):
                began = time.monotonic()
                self.seen.append((began, await conn.fetchval(self._query())))
        finally:
            await conn.close()

    def stop(self) -> list[tuple[float, int]]:
        self.halt.set()
        self.join(30)
        if self.failure is not None:
            raise RuntimeError(f"counting expired tokens failed: {self.failure}")
        return self.seen
