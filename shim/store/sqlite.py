"""SQLite backend: one connection in WAL mode, used from the event loop.

Every call is a short synchronous transaction that never awaits in the middle,
so coroutines cannot interleave inside one; statements hit indexes and
finish in microseconds. Long work (purge) is cut into batches by the caller;
the one full scan, counting tokens for /metrics, runs in a worker thread on a
connection of its own.

Token lookups by id are served from a RowCache while the database is unchanged:
every write of this connection empties it (a touch refreshes one row instead).
`PRAGMA data_version`, read at most every OTHERS_CHECK seconds (it costs as much
as the lookup it saves), tells when another connection (another process on
the same file: `serve --workers N`) committed, which empties it too. With
`watch_others` (workers), `watch` reads it every OTHERS_CHECK seconds as well
and reports such a commit, so the settings and features caches follow another
worker within milliseconds. (Not by default: on a VM a wake-up every 5 ms
costs ~5% of a core even when idle.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from dataclasses import replace
from typing import Callable

from shim.store import sql
from shim.store.base import (
    Attempts, Conflict, HashingRequired, Store, StoreUnavailable, Token, TokenQuery, User,
)
from shim.store.rowcache import RowCache

CHECKPOINT_EVERY = 1.0  # seconds between WAL checkpoints (run in a thread)
OTHERS_CHECK = 0.005  # seconds a commit by another process may go unseen by token reads
THROTTLE_SWEEP = 256  # every so many throttle changes, delete the rows that mean nothing
log = logging.getLogger("shim.store")


class SqliteStore(Store):
    def __init__(self, path: str, *, watch_others: bool = False) -> None:
        self.path = path
        self.watch_others = watch_others
        self._db: sqlite3.Connection | None = None
        self._checkpointer: asyncio.Task | None = None
        self._rows = RowCache()
        self._data_version = -1
        self._next_check = 0.0
        self._on_others: Callable[[], object] | None = None  # set while `watch` runs
        self._inserts: list[tuple[Token, asyncio.Future]] = []
        self._throttle_changes = 0

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def open(self) -> None:
        try:
            if self.path != ":memory:":
                _create_private(self.path)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"{exc} (file {self.path})") from exc
        # NORMAL in WAL mode: a committed transaction survives a crash of the
        # process (kill -9); only a power loss may drop the last commits.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 5000")
        # Zero what a delete or an update frees: a secret replaced by its hash (or a deleted
        # token) must not linger in free pages. Many builds default to off.
        db.execute("PRAGMA secure_delete = ON")
        # Checkpoints (and their fsync) run in a thread, never inside a commit on the loop.
        db.execute("PRAGMA wal_autocheckpoint = 0")
        self._db = db
        self._migrate()
        self._data_version = self._read_data_version()
        if self.path != ":memory:":
            # What an earlier process left in the WAL (it may have died mid-rewrite) goes now.
            await asyncio.to_thread(_truncate_wal, self.path)
            self._checkpointer = asyncio.create_task(self._checkpoints())

    async def _checkpoints(self) -> None:
        """Copy the WAL into the database file every CHECKPOINT_EVERY seconds, off the loop."""
        conn = sqlite3.connect(self.path, check_same_thread=False)
        running: asyncio.Future | None = None
        try:
            while True:
                await asyncio.sleep(CHECKPOINT_EVERY)
                running = asyncio.ensure_future(asyncio.to_thread(_checkpoint, conn))
                await asyncio.shield(running)
        finally:
            if running is not None and not running.done():
                await asyncio.wait([running])  # never close the connection under a checkpoint
            conn.close()

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)"
            )
            done = {r[0] for r in db.execute("SELECT version FROM schema_migrations")}
            for version, script in sql.migrations():
                if version in done:
                    continue
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?)", (version, int(time.time() * 1000))
                )
                self.migrations_applied += 1

    def _tx(self):
        return _Transaction(self.db, self._rows.clear)

    def cached_rows(self) -> RowCache:
        """The row cache, emptied first if another connection committed since the last look."""
        now = time.monotonic()
        if now >= self._next_check:
            self._look_for_others(now)
        return self._rows

    def _look_for_others(self, now: float) -> None:
        """If another connection committed since the last look: empty the rows, tell `watch`."""
        self._next_check = now + OTHERS_CHECK
        version = self._read_data_version()
        if version != self._data_version:
            self._rows.clear()
            self._data_version = version
            if self._on_others is not None:
                self._on_others()

    def _read_data_version(self) -> int:
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    async def watch(self, on_change: Callable[[str], object], heartbeat: float = 5.0) -> None:
        """Report "*" whenever another connection committed, looking every OTHERS_CHECK
        seconds: another process's settings or features are used here within milliseconds.
        (The commit may have changed anything: the caller re-reads what it caches.)
        Returns at once unless `watch_others`: one process on the file needs no watch."""
        if not self.watch_others:
            return
        self._on_others = lambda: on_change("*")
        try:
            while self._db is not None:
                await asyncio.sleep(OTHERS_CHECK)
                if self._db is not None and time.monotonic() >= self._next_check:
                    self._look_for_others(time.monotonic())
        finally:
            self._on_others = None

    async def close(self) -> None:
        if self._inserts and self._db is not None:
            self._commit_inserts()
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        if self._db is not None:
            self._db.close()
            self._db = None

    async def ping(self) -> bool:
        return self.db.execute("SELECT 1").fetchone()[0] == 1

    # users
    async def insert_user(self, user: User) -> None:
        try:
            with self._tx() as db:
                db.execute(sql.INSERT_USER, sql.user_params(user))
        except sqlite3.IntegrityError as exc:
            raise Conflict(str(exc)) from exc

    async def get_user(self, user_id: str) -> User | None:
        return self._one(sql.SELECT_USER, (user_id,), sql.user_from)

    async def get_user_by_username(self, username: str) -> User | None:
        return self._one(sql.SELECT_USER_BY_NAME, (username,), sql.user_from)

    async def list_users(self) -> list[User]:
        return [sql.user_from(r) for r in self.db.execute(sql.SELECT_USERS)]

    async def count_users(self) -> int:
        return self.db.execute(sql.COUNT_USERS).fetchone()[0]

    async def update_user(self, user: User) -> User:
        try:
            with self._tx() as db:
                changed = db.execute(sql.UPDATE_USER, sql.update_user_params(user)).rowcount
        except sqlite3.IntegrityError as exc:
            raise Conflict(str(exc)) from exc
        if changed != 1:
            raise Conflict(f"user {user.id} changed concurrently")
        return _bumped(user)

    async def change_user(self, user_id: str, change) -> User | None:
        return self._change_row(sql.USER_ROW, user_id, change)

    async def delete_user(self, user_id: str) -> bool:
        with self._tx() as db:
            return db.execute(sql.DELETE_USER, (user_id,)).rowcount == 1

    # tokens
    async def insert_token(self, token: Token) -> None:
        """Committed with the other inserts of this turn of the event loop, in one transaction.

        Group commit: under load many creates arrive together, and one COMMIT
        (with its WAL pages) for all of them costs about a third as much each.
        Each caller still returns only once its row is committed.
        """
        loop = asyncio.get_running_loop()
        if not self._inserts:
            loop.call_soon(self._commit_inserts)
        done = loop.create_future()
        self._inserts.append((token, done))
        await done

    def _commit_inserts(self) -> None:
        """A failed INSERT undoes itself only (SQLite's ABORT); a failed COMMIT fails them all."""
        queued, self._inserts = self._inserts, []
        try:
            with _Transaction(self.db) as db:  # new rows: nothing cached goes stale
                outcomes = [_insert_token(db, token) for token, _ in queued]
        except Exception as exc:  # nothing was committed
            outcomes = [exc] * len(queued)
        for (_, done), outcome in zip(queued, outcomes):
            if done.cancelled():
                continue
            if outcome is None:
                done.set_result(None)
            else:
                done.set_exception(outcome)

    async def get_token(self, token_id: str) -> Token | None:
        found = await self.get_token_and_user(token_id)
        return None if found is None else found[0]

    async def get_token_and_user(self, token_id: str) -> tuple[Token, User] | None:
        rows = self.cached_rows()
        found = rows.get(token_id)
        if found is None:
            found = self._one(sql.SELECT_TOKEN_AND_USER, (token_id,), sql.token_and_user_from)
            if found is not None:
                rows.put(token_id, found)
        return found

    async def list_tokens(self, query: TokenQuery) -> list[Token]:
        text, params = sql.list_tokens(query)
        return [sql.token_from(r) for r in self.db.execute(text, params)]

    async def count_tokens(self, query: TokenQuery) -> int:
        text, params = sql.count_tokens(query)
        return self.db.execute(text, params).fetchone()[0]

    async def update_token(self, token: Token) -> Token:
        with self._tx() as db:
            changed = db.execute(sql.UPDATE_TOKEN, sql.update_token_params(token)).rowcount
        if changed != 1:
            raise Conflict(f"token {token.id} changed concurrently")
        return _bumped(token)

    async def change_token(self, token_id: str, change) -> Token | None:
        return self._change_row(sql.TOKEN_ROW, token_id, change)

    def _change_row(self, kind: sql.Row, row_id: str, change):
        with self._tx() as db:  # BEGIN IMMEDIATE: no other writer until COMMIT
            row = db.execute(kind.select, (row_id,)).fetchone()
            if row is None:
                return None
            old = kind.decode(row)
            new = change(old)
            if new == old:
                return old
            db.execute(kind.update, kind.params(new))
        return _bumped(new)

    async def delete_token(self, token_id: str, version: int | None = None) -> bool:
        with self._tx() as db:
            if version is None:
                return db.execute(sql.DELETE_TOKEN, (token_id,)).rowcount == 1
            return db.execute(sql.DELETE_TOKEN_AT, (token_id, version)).rowcount == 1

    async def delete_sessions(self, user_id: str) -> int:
        with self._tx() as db:
            return db.execute(sql.DELETE_SESSIONS, (user_id,)).rowcount

    async def touch_token(self, token_id: str, now: int, activity: bool) -> None:
        with _Transaction(self.db) as db:  # only the use times change: refresh, not empty
            if activity:
                db.execute(sql.TOUCH_SESSION, (now, now, token_id))
            else:
                db.execute(sql.TOUCH_TOKEN, (now, token_id))
        self._rows.touched(token_id, now, activity)

    async def expire_token(self, token_id: str, now: int) -> None:
        with self._tx() as db:
            db.execute(sql.EXPIRE_TOKEN, (now, token_id))

    async def purge_expired(self, now: int, batch: int, session_ms: int = 0,
                            idle_ms: int = 0) -> int:
        left = batch
        with self._tx() as db:
            for text, params in sql.purge_expired(now, session_ms, idle_ms):
                left -= db.execute(text, [*params, left]).rowcount
                if not left:
                    break
        return batch - left

    async def count_tokens_by_kind(self, now: int, session_ms: int = 0,
                                   idle_ms: int = 0) -> dict[tuple[str, bool], int]:
        text, params = sql.count_tokens_by_kind(now, session_ms, idle_ms)
        if self.path == ":memory:":  # no other connection sees this database
            rows = self.db.execute(text, params).fetchall()
        else:  # a full scan (seconds at 10M tokens): its own connection, off the loop
            rows = await asyncio.to_thread(_read_all, self.path, text, params)
        return {(kind, bool(expired)): count for kind, expired, count in rows}

    async def hash_secrets(self, hasher, after: str, batch: int, *, enable: bool):
        with self._tx() as db:
            if enable:
                db.execute(sql.UPSERT_FEATURE, ("token-hashing", True))
            rows = db.execute(sql.SELECT_PLAIN_SECRETS, (after, batch)).fetchall()
            db.executemany(sql.UPDATE_SECRET, [(hasher(secret), tid) for tid, secret in rows])
        return len(rows), (rows[-1][0] if rows else None)

    async def has_plain_secrets(self) -> bool:
        return self.db.execute(sql.ANY_PLAIN_SECRET).fetchone() is not None

    async def scrub_tokens(self) -> None:
        """The WAL still holds the pages as they were before (plain secrets): copy it
        into the database file (whose freed bytes secure_delete zeroes) and truncate it."""
        if self.path != ":memory:":
            await asyncio.to_thread(_truncate_wal, self.path)

    async def change_throttle(self, keys: list[str], change) -> object:
        """As PostgreSQL's: one transaction; BEGIN IMMEDIATE keeps every other writer
        (every other worker on the file) out from the read to the commit."""
        self._throttle_changes += 1
        with _Transaction(self.db) as db:  # scores only: no cached row goes stale
            rows = db.execute(sql.select_throttle(len(keys)), keys).fetchall()
            new, result = change({r[0]: Attempts(r[1], r[2], r[3], r[4]) for r in rows})
            for key, score in new.items():
                if score is None:
                    db.execute(sql.DELETE_THROTTLE, (key,))
                else:
                    db.execute(sql.UPSERT_THROTTLE,
                               (key, score.failures, score.at, score.until, score.forget))
            if self._throttle_changes % THROTTLE_SWEEP == 0:
                now = max((s.at for s in new.values() if s is not None), default=0)
                if now:
                    db.execute(sql.FORGET_THROTTLE, (now,))
        return result

    # settings, features, documents
    async def get_settings(self) -> dict[str, str]:
        return dict(self.db.execute(sql.SELECT_SETTINGS).fetchall())

    async def get_setting_rows(self) -> dict[str, tuple[str | None, int]]:
        return sql.setting_rows(self.db.execute(sql.SELECT_SETTING_ROWS))

    async def put_settings(
        self, values: dict[str, str | None], docs: dict[tuple[str, str], str | None], *,
        expected=None, check=None,
    ) -> None:
        with self._tx() as db:  # BEGIN IMMEDIATE: writers are already serialised
            sql.guard_settings(db.execute(sql.SELECT_SETTING_ROWS).fetchall(), expected, check)
            for name, value in values.items():
                if value is None:
                    db.execute(sql.DELETE_SETTING, (name,))
                else:
                    db.execute(sql.UPSERT_SETTING, (name, value))
            for (kind, doc_id), doc in docs.items():
                if doc is None:
                    db.execute(sql.DELETE_DOC, (kind, doc_id))
                else:
                    db.execute(sql.UPSERT_DOC, (kind, doc_id, doc))

    async def get_features(self) -> dict[str, bool]:
        return {k: bool(v) for k, v in self.db.execute(sql.SELECT_FEATURES)}

    async def set_feature(self, name: str, value: bool | None) -> None:
        with self._tx() as db:
            if value is None:
                db.execute(sql.DELETE_FEATURE, (name,))
            else:
                db.execute(sql.UPSERT_FEATURE, (name, value))

    async def get_doc(self, kind: str, doc_id: str) -> str | None:
        return self._one(sql.SELECT_DOC, (kind, doc_id), lambda r: r[0])

    async def get_docs(self, kind: str) -> dict[str, str]:
        return dict(self.db.execute(sql.SELECT_DOCS, (kind,)).fetchall())

    def _one(self, text: str, params: tuple, build):
        row = self.db.execute(text, params).fetchone()
        return None if row is None else build(row)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception; then `on_end()`, if given."""

    def __init__(self, db: sqlite3.Connection, on_end: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_end = on_end

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            if self.on_end is not None:
                self.on_end()


def _bumped(record):
    return replace(record, version=record.version + 1)


def _insert_token(db: sqlite3.Connection, token: Token) -> Exception | None:
    """Insert one token inside the caller's transaction; the refusal, if any."""
    if sql.is_plain(token.secret) and _hashing(db):
        return HashingRequired(token.id)
    try:
        db.execute(sql.INSERT_TOKEN, sql.token_params(token))
    except sqlite3.IntegrityError as exc:
        return Conflict(str(exc))
    return None


def _hashing(db: sqlite3.Connection) -> bool:
    row = db.execute(sql.SELECT_HASHING).fetchone()
    return row is not None and bool(row[0])


def _read_all(path: str, text: str, params: list) -> list:
    """Run one read on a connection of its own (for a worker thread)."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        return conn.execute(text, params).fetchall()
    finally:
        conn.close()


def _checkpoint(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:  # busy or locked: the next round catches up
        pass


def _create_private(path: str) -> None:
    """Create a new database file readable by its owner only; SQLite gives the -wal
    and -shm files it makes next to it the same mode. An existing file is left as is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _truncate_wal(path: str, attempts: int = 20) -> None:
    """Checkpoint the whole WAL and truncate it to zero bytes (retried while busy)."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        for _ in range(attempts):
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            time.sleep(0.05)
        log.warning("could not truncate the WAL of %s: readers kept it busy", path)
    finally:
        conn.close()


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
