"""PostgreSQL backend: an asyncpg pool running the shared SQL with `$n` placeholders.

Every write is one transaction on one pooled connection. Migrations run under
a transaction-scoped advisory lock, so replicas that start together apply
each migration exactly once. Writes of cached data (settings, features)
send a NOTIFY on CACHE_CHANNEL in their own transaction, so it fires exactly
on commit; `watch` turns those into cache refreshes on every replica.

Token lookups by id are served from a RowCache only while `watch` is
listening: every write that changes a stored token or user notifies "rows",
which empties the cache of every replica (this one at once, on commit). A
read that overlapped a change is not cached (the generation moved on), and
the whole cache is dropped every ROWS_MAX_AGE seconds, which bounds what a
silently dead listener could serve before its heartbeat notices.

High availability: the URL may name several hosts (libpq's
`postgresql://u@h1:5432,h2:5432/db`); every connection (the pool's and the
listener's) goes to the first that accepts writes (`target_session_attrs`
defaults to `read-write` here, so a standby is never written to nor listened
on). A pooled connection that dies with its server is dropped by asyncpg and
the next one is made to whichever host is the primary then. No statement
waits longer than STATEMENT_TIMEOUT nor a connect longer than CONNECT_TIMEOUT:
`unavailable()` tells the server which failures mean "the database is away"
(it answers 503 with Retry-After, never 500).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import replace
from typing import AsyncIterator, Callable

import asyncpg

from shim.store import sql
from shim.store.base import (
    Attempts, Conflict, HashingRequired, Store, StoreUnavailable, Token, TokenQuery, User,
)
from shim.store.rowcache import RowCache

# Any constants work as long as every replica uses the same ones: "tokenshm", +1, +2.
MIGRATION_LOCK = 0x746F6B656E73686D
HASHING_LOCK = MIGRATION_LOCK + 1  # exclusive: enabling hashing; shared: plain inserts
SETTINGS_LOCK = MIGRATION_LOCK + 2  # settings writers, one at a time
CACHE_CHANNEL = "token_shim_cache"
LISTENER_NAME = "token-shim-listener"  # application_name of the LISTEN connection
RECONNECT_DELAY = 0.2  # seconds: no busy loop when the server keeps dropping us
ROWS = "rows"  # the NOTIFY payload of a write that changed stored tokens or users
CREATED = "created"  # a token was inserted: no cached row is stale, but watchers want to know
ROWS_MAX_AGE = 1.0  # seconds a cached token row may be served, whatever happens
THROTTLE_SWEEP = 256  # every so many throttle changes, delete the rows that mean nothing
SCRUB_LOCK_TIMEOUT = "10s"  # how long VACUUM FULL tokens may wait for its lock
CONNECT_TIMEOUT = 5.0  # seconds per connection attempt (asyncpg's default is 60)
STATEMENT_TIMEOUT = 10.0  # seconds any statement may take, a synchronous COMMIT included
ACQUIRE_TIMEOUT = 10.0  # seconds a request may wait for a pooled connection, connecting included
# Migrations (and the wait for another replica's), VACUUM FULL and the count for /metrics
# run off the request path and may take minutes on a large table: not cut at 10 s.
MAINTENANCE_TIMEOUT = 3600.0
LISTENER_RETRY_MAX = 2.0  # seconds between listener reconnects, at most
# Failures that mean the database is away (down, restarting, failing over, a standby not yet
# promoted, unreachable or too slow), not that a request was wrong: 503, never 500.
UNAVAILABLE = (
    OSError, asyncio.TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError,
    asyncpg.ReadOnlySQLTransactionError, asyncpg.QueryCanceledError,
    asyncpg.TargetServerAttributeNotMatched,
    asyncpg.InternalClientError,  # e.g. a COMMIT sent on a connection its server just dropped
)
_n = functools.cache(sql.numbered)
log = logging.getLogger("shim.store")


class PostgresStore(Store):
    blocks_loop = False  # asyncpg awaits the server: only hashing runs on the loop

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self._sizes = {"min_size": min(min_size, max_size), "max_size": max_size}
        self._connect = _connect_arguments(url)
        self._pool: BoundedPool | None = None
        self._listener: asyncpg.Connection | None = None
        self._rows = RowCache()
        self._rows_live = False  # the cache listener is connected: rows may be cached
        self._rows_generation = 0
        self._rows_expire = 0.0
        self._throttle_changes = 0

    @property
    def pool(self) -> BoundedPool:
        if self._pool is None:
            raise RuntimeError("store is not open")
        return self._pool

    async def open(self) -> None:
        try:
            self._pool = BoundedPool(await asyncpg.create_pool(
                self.url, server_settings={"application_name": "token-shim"},
                command_timeout=STATEMENT_TIMEOUT, **self._connect, **self._sizes,
            ))
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError,
                asyncpg.InterfaceError, asyncpg.ClientConfigurationError) as exc:
            raise StoreUnavailable(_why(exc)) from exc
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def _migrate(self) -> None:
        async with self._tx() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK,
                               timeout=MAINTENANCE_TIMEOUT)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)"
            )
            done = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for version, script in sql.migrations():
                if version in done:
                    continue
                # no arguments: runs as a multi-statement script
                await conn.execute(script, timeout=MAINTENANCE_TIMEOUT)
                await conn.execute(
                    "INSERT INTO schema_migrations VALUES ($1, $2)", version, int(time.time() * 1000)
                )
                self.migrations_applied += 1
            await _no_secret_statistics(conn)

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def _write(self, text: str, *args, rows: bool = False) -> int:
        """Run one statement in its own transaction; return the number of rows it changed.

        `rows`: the statement changes stored tokens or users, so cached rows go
        (here on commit, on the other replicas when the NOTIFY arrives).
        """
        try:
            async with self._tx() as conn:
                changed = _rowcount(await conn.execute(_n(text), *args))
                if rows and changed:
                    await _notify(conn, ROWS)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise Conflict(str(exc)) from exc
        if rows and changed:
            self._rows_changed()
        return changed

    def _rows_changed(self) -> None:
        self._rows_generation += 1
        self._rows.clear()

    def cached_rows(self) -> RowCache | None:
        """The row cache while it can be trusted (the listener is up), else None."""
        if not self._rows_live:
            return None
        now = time.monotonic()
        if now >= self._rows_expire:
            self._rows_expire = now + ROWS_MAX_AGE
            self._rows_changed()
        return self._rows

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ping(self) -> bool:
        return await self.pool.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT) == 1

    def unavailable(self, exc: BaseException) -> str | None:
        if isinstance(exc, StoreUnavailable):
            return str(exc)
        return _why(exc) if isinstance(exc, UNAVAILABLE) else None

    # users
    async def insert_user(self, user: User) -> None:
        await self._write(sql.INSERT_USER, *sql.user_params(user))

    async def get_user(self, user_id: str) -> User | None:
        return await self._one(sql.SELECT_USER, (user_id,), sql.user_from)

    async def get_user_by_username(self, username: str) -> User | None:
        return await self._one(sql.SELECT_USER_BY_NAME, (username,), sql.user_from)

    async def list_users(self) -> list[User]:
        return [sql.user_from(r) for r in await self.pool.fetch(sql.SELECT_USERS)]

    async def count_users(self) -> int:
        return await self.pool.fetchval(sql.COUNT_USERS)

    async def update_user(self, user: User) -> User:
        if await self._write(sql.UPDATE_USER, *sql.update_user_params(user), rows=True) != 1:
            raise Conflict(f"user {user.id} changed concurrently")
        return _bumped(user)

    async def change_user(self, user_id: str, change) -> User | None:
        return await self._change_row(sql.USER_ROW, user_id, change)

    async def delete_user(self, user_id: str) -> bool:
        return await self._write(sql.DELETE_USER, user_id, rows=True) == 1

    # tokens
    async def insert_token(self, token: Token) -> None:
        try:
            async with self._tx() as conn:
                if sql.is_plain(token.secret):
                    # Waits only while enable_token_hashing runs; then sees its commit.
                    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", HASHING_LOCK)
                    if await conn.fetchval(sql.SELECT_HASHING):
                        raise HashingRequired(token.id)
                await conn.execute(_n(sql.INSERT_TOKEN), *sql.token_params(token))
                await _notify(conn, CREATED)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise Conflict(str(exc)) from exc

    async def get_token(self, token_id: str) -> Token | None:
        found = await self.get_token_and_user(token_id)
        return None if found is None else found[0]

    async def get_token_and_user(self, token_id: str) -> tuple[Token, User] | None:
        rows = self.cached_rows()
        found = rows.get(token_id) if rows is not None else None
        if found is not None:
            return found
        generation = self._rows_generation
        found = await self._one(sql.SELECT_TOKEN_AND_USER, (token_id,), sql.token_and_user_from)
        if found is not None and rows is not None and generation == self._rows_generation:
            rows.put(token_id, found)  # nothing changed while it was read
        return found

    async def list_tokens(self, query: TokenQuery) -> list[Token]:
        text, params = sql.list_tokens(query)
        return [sql.token_from(r) for r in await self.pool.fetch(sql.numbered(text), *params)]

    async def count_tokens(self, query: TokenQuery) -> int:
        text, params = sql.count_tokens(query)
        return await self.pool.fetchval(sql.numbered(text), *params)

    async def update_token(self, token: Token) -> Token:
        if await self._write(sql.UPDATE_TOKEN, *sql.update_token_params(token), rows=True) != 1:
            raise Conflict(f"token {token.id} changed concurrently")
        return _bumped(token)

    async def change_token(self, token_id: str, change) -> Token | None:
        return await self._change_row(sql.TOKEN_ROW, token_id, change)

    async def _change_row(self, kind: sql.Row, row_id: str, change):
        async with self._tx() as conn:
            row = await conn.fetchrow(_n(kind.select) + " FOR UPDATE", row_id)
            if row is None:
                return None
            old = kind.decode(row)
            new = change(old)
            if new == old:
                return old
            await conn.execute(_n(kind.update), *kind.params(new))
            await _notify(conn, ROWS)
        self._rows_changed()
        return _bumped(new)

    async def delete_token(self, token_id: str, version: int | None = None) -> bool:
        if version is None:
            return await self._write(sql.DELETE_TOKEN, token_id, rows=True) == 1
        return await self._write(sql.DELETE_TOKEN_AT, token_id, version, rows=True) == 1

    async def delete_sessions(self, user_id: str) -> int:
        return await self._write(sql.DELETE_SESSIONS, user_id, rows=True)

    async def touch_token(self, token_id: str, now: int, activity: bool) -> None:
        """Use times only: other replicas may show them a little late (no NOTIFY for these)."""
        if activity:
            await self._write(sql.TOUCH_SESSION, now, now, token_id)
        else:
            await self._write(sql.TOUCH_TOKEN, now, token_id)
        self._rows.touched(token_id, now, activity)

    async def expire_token(self, token_id: str, now: int) -> None:
        await self._write(sql.EXPIRE_TOKEN, now, token_id, rows=True)

    async def purge_expired(self, now: int, batch: int, session_ms: int = 0,
                            idle_ms: int = 0) -> int:
        left = batch
        async with self._tx() as conn:
            for text, params in sql.purge_expired(now, session_ms, idle_ms):
                left -= _rowcount(await conn.execute(_n(text), *params, left))
                if not left:
                    break
            if left < batch:
                await _notify(conn, ROWS)
        if left < batch:
            self._rows_changed()
        return batch - left

    async def count_tokens_by_kind(self, now: int, session_ms: int = 0,
                                   idle_ms: int = 0) -> dict[tuple[str, bool], int]:
        text, params = sql.count_tokens_by_kind(now, session_ms, idle_ms)
        rows = await self.pool.fetch(sql.numbered(text), *params, timeout=MAINTENANCE_TIMEOUT)
        return {(kind, bool(expired)): count for kind, expired, count in rows}

    async def hash_secrets(self, hasher, after: str, batch: int, *, enable: bool):
        # The lock serialises enablers and waits for plain inserts in flight, which the
        # SELECT then sees; FOR UPDATE also holds off concurrent token updates.
        async with self._tx() as conn:
            if enable:
                await conn.execute("SELECT pg_advisory_xact_lock($1)", HASHING_LOCK)
                await conn.execute(_n(sql.UPSERT_FEATURE), "token-hashing", True)
                await _notify(conn, "features")
            rows = await conn.fetch(_n(sql.SELECT_PLAIN_SECRETS) + " FOR UPDATE", after, batch)
            await conn.executemany(_n(sql.UPDATE_SECRET), [(hasher(s), tid) for tid, s in rows])
            if rows:
                await _notify(conn, ROWS)
        if rows:
            self._rows_changed()
        return len(rows), (rows[-1][0] if rows else None)

    async def has_plain_secrets(self) -> bool:
        return await self.pool.fetchval(sql.ANY_PLAIN_SECRET) is not None

    async def scrub_tokens(self) -> None:
        """VACUUM FULL writes the table anew, without the dead row versions that still
        hold replaced secrets (their pages would otherwise linger until reused). It locks
        the table while it runs (about a second per 500k tokens); if it cannot get the
        lock within SCRUB_LOCK_TIMEOUT it is left for an operator (logged)."""
        async with self.pool.acquire() as conn:
            try:
                await conn.execute(f"SET lock_timeout = '{SCRUB_LOCK_TIMEOUT}'")
                await conn.execute("VACUUM FULL tokens", timeout=MAINTENANCE_TIMEOUT)
            except asyncpg.PostgresError as exc:
                log.warning("VACUUM FULL tokens failed (%s): replaced secrets may remain in"
                            " dead rows until it is run", exc)
            finally:
                await conn.execute("RESET lock_timeout")

    async def change_throttle(self, keys: list[str], change) -> object:
        # Missing rows are made first (in key order, as the locks are taken), so
        # every key has a row to lock: two replicas never both start from nothing.
        self._throttle_changes += 1
        async with self._tx() as conn:
            await conn.execute(_n(sql.INSERT_THROTTLE_KEYS), keys)
            rows = await conn.fetch(_n(sql.LOCK_THROTTLE), keys)
            current = {r[0]: Attempts(r[1], r[2], r[3], r[4]) for r in rows if r[2] or r[3]}
            new, result = change(current)
            for key, score in new.items():
                if score is None:
                    await conn.execute(_n(sql.DELETE_THROTTLE), key)
                else:
                    await conn.execute(_n(sql.UPDATE_THROTTLE), score.failures, score.at,
                                       score.until, score.forget, key)
            if self._throttle_changes % THROTTLE_SWEEP == 0:
                now = max((s.at for s in new.values() if s is not None), default=0)
                if now:
                    await conn.execute(_n(sql.FORGET_THROTTLE), now)
        return result

    # settings, features, documents
    async def get_settings(self) -> dict[str, str]:
        return {r[0]: r[1] for r in await self.pool.fetch(sql.SELECT_SETTINGS)}

    async def get_setting_rows(self) -> dict[str, tuple[str | None, int]]:
        return sql.setting_rows(await self.pool.fetch(sql.SELECT_SETTING_ROWS))

    async def put_settings(
        self, values: dict[str, str | None], docs: dict[tuple[str, str], str | None], *,
        expected=None, check=None,
    ) -> None:
        async with self._tx() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SETTINGS_LOCK)
            sql.guard_settings(await conn.fetch(sql.SELECT_SETTING_ROWS), expected, check)
            await _notify(conn, "settings")
            for name, value in values.items():
                if value is None:
                    await conn.execute(_n(sql.DELETE_SETTING), name)
                else:
                    await conn.execute(_n(sql.UPSERT_SETTING), name, value)
            for (kind, doc_id), doc in docs.items():
                if doc is None:
                    await conn.execute(_n(sql.DELETE_DOC), kind, doc_id)
                else:
                    await conn.execute(_n(sql.UPSERT_DOC), kind, doc_id, doc)

    async def get_features(self) -> dict[str, bool]:
        return {r[0]: bool(r[1]) for r in await self.pool.fetch(sql.SELECT_FEATURES)}

    async def set_feature(self, name: str, value: bool | None) -> None:
        async with self._tx() as conn:
            if value is None:
                await conn.execute(_n(sql.DELETE_FEATURE), name)
            else:
                await conn.execute(_n(sql.UPSERT_FEATURE), name, value)
            await _notify(conn, "features")

    async def get_doc(self, kind: str, doc_id: str) -> str | None:
        return await self._one(sql.SELECT_DOC, (kind, doc_id), lambda r: r[0])

    async def get_docs(self, kind: str) -> dict[str, str]:
        return {r[0]: r[1] for r in await self.pool.fetch(_n(sql.SELECT_DOCS), kind)}

    async def _one(self, text: str, params: tuple, build):
        row = await self.pool.fetchrow(_n(text), *params)
        return None if row is None else build(row)

    # cross-replica signals (not part of Store yet)
    async def listen(self, channel: str, callback: Callable[[str], object]) -> None:
        """Call `callback(payload)` on the event loop for every NOTIFY on `channel`.

        All channels share one dedicated connection, kept until close(). A
        notification is delivered only while that connection is up: one sent
        while it is down is lost, and it is not reconnected yet.
        """
        if self._listener is None:
            self._listener = await asyncpg.connect(self.url, **self._connect)
        await self._listener.add_listener(channel, lambda _c, _pid, _ch, payload: callback(payload))

    async def notify(self, channel: str, payload: str = "") -> None:
        """Deliver `payload` (under 8000 bytes) to every listener on `channel`, this process too."""
        await self.pool.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def watch(self, on_change: Callable[[str], object], heartbeat: float = 5.0) -> None:
        """LISTEN on CACHE_CHANNEL on a connection of its own, reconnecting when it drops.

        The connection is pinged every `heartbeat` seconds, so a silently dead
        one is noticed too; every (re)connect reports "*". Token rows are
        cached only while it listens ("rows" stays here: it is the store's own).
        """

        def deliver(what: str) -> None:
            if what in (ROWS, CREATED):
                if what == ROWS:
                    self._rows_changed()
                for listener in self.row_listeners():
                    listener()
                return
            if what == "*":  # (re)connected: changes from now on will be heard
                self._rows_changed()
                self._rows_live = True
            on_change(what)

        retry = RECONNECT_DELAY
        while True:
            try:
                conn = await asyncpg.connect(
                    self.url, server_settings={"application_name": LISTENER_NAME},
                    **self._connect,
                )
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as exc:
                # Soon, not `heartbeat` later: after a failover the caches refresh as soon
                # as the new primary takes connections.
                log.warning("cache listener: cannot connect (%s); retrying in %.1f s",
                            _why(exc), retry)
                await asyncio.sleep(retry)
                retry = min(retry * 2, LISTENER_RETRY_MAX, heartbeat)
                continue
            retry = RECONNECT_DELAY
            try:
                await _listen(conn, deliver, heartbeat)
            except Exception as exc:  # lost or unresponsive: reconnect
                log.warning("cache listener: connection lost (%s); reconnecting", exc)
            finally:
                self._rows_live = False
                self._rows_changed()
                conn.terminate()
            await asyncio.sleep(RECONNECT_DELAY)


class BoundedPool:
    """The asyncpg pool, with no wait for a connection longer than ACQUIRE_TIMEOUT: its own
    fetch helpers would queue for one forever while the database is unreachable."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def acquire(self):
        return self._pool.acquire(timeout=ACQUIRE_TIMEOUT)

    async def fetch(self, query: str, *args, timeout: float | None = None) -> list:
        async with self.acquire() as conn:
            return await conn.fetch(query, *args, timeout=timeout)

    async def fetchrow(self, query: str, *args):
        async with self.acquire() as conn:
            return await conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args, timeout: float | None = None):
        async with self.acquire() as conn:
            return await conn.fetchval(query, *args, timeout=timeout)

    async def execute(self, query: str, *args) -> str:
        async with self.acquire() as conn:
            return await conn.execute(query, *args)

    async def close(self) -> None:
        await self._pool.close()


async def _listen(conn: asyncpg.Connection, on_change: Callable[[str], object],
                  heartbeat: float) -> None:
    """Deliver notifications until the connection is lost or a ping times out (raises)."""
    lost = asyncio.Event()
    conn.add_termination_listener(lambda _conn: lost.set())
    await conn.add_listener(CACHE_CHANNEL, lambda _c, _pid, _ch, what: on_change(what))
    on_change("*")  # whatever changed while nobody was listening
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(lost.wait(), heartbeat)
            raise ConnectionError("listener connection closed")
        await asyncio.wait_for(conn.execute("SELECT 1"), heartbeat)


async def _no_secret_statistics(conn: asyncpg.Connection) -> None:
    """ANALYZE would copy sample values of `secret` into pg_statistic: it never samples it."""
    target = await conn.fetchval(
        "SELECT attstattarget FROM pg_attribute"
        " WHERE attrelid = 'tokens'::regclass AND attname = 'secret'")
    if target != 0:
        await conn.execute("ALTER TABLE tokens ALTER COLUMN secret SET STATISTICS 0",
                           timeout=MAINTENANCE_TIMEOUT)


async def _notify(conn: asyncpg.Connection, what: str) -> None:
    """Queued in the caller's transaction: delivered on commit, dropped on rollback."""
    await conn.execute("SELECT pg_notify($1, $2)", CACHE_CHANNEL, what)


def _connect_arguments(url: str) -> dict:
    """asyncpg.connect arguments the URL does not set: the connect timeout, and
    `target_session_attrs=read-write` (the primary) unless the URL names one."""
    arguments: dict = {"timeout": CONNECT_TIMEOUT}
    if "target_session_attrs=" not in url.partition("?")[2]:
        arguments["target_session_attrs"] = "read-write"
    return arguments


def _rowcount(status: str) -> int:
    """Rows changed, from a command tag such as `UPDATE 1` or `INSERT 0 1`."""
    return int(status.rsplit(" ", 1)[1])


def _bumped(record):
    return replace(record, version=record.version + 1)


def _why(exc: BaseException) -> str:
    """One line on why a connection failed: refused, timed out, or the server's answer."""
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in str(exc):
        return "connection refused (is PostgreSQL running, on that host and port?)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return (str(exc).splitlines() or [type(exc).__name__])[0]
