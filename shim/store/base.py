"""The store contract: records and the operations every backend provides.

Times are epoch milliseconds. Every write is one transaction: it is either
fully committed when the call returns, or not at all.
"""

from __future__ import annotations

import abc
import asyncio
import json
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol

HASH_BATCH = 500  # secrets hashed per transaction when token-hashing is switched on


@dataclass(slots=True)
class User:  # treat as immutable: change with dataclasses.replace
    id: str
    username: str
    name: str
    role: str  # "admin" or "user"
    enabled: bool
    password_hash: str
    created: int
    version: int = 1
    tf_doc: str | None = None
    must_change_password: bool = False  # may only change the password until they do


@dataclass(slots=True)
class Token:  # treat as immutable: change with dataclasses.replace
    id: str
    user_id: str
    kind: str  # "api", "session", "kubeconfig" or a system kind
    secret: str  # the plain secret, or a `$n:...` hash once hashing is on
    description: str
    ttl: int  # effective (clamped) milliseconds; 0 = never expires
    ttl_requested: int
    created: int
    enabled: bool = True
    is_derived: bool = True
    cluster_id: str = ""
    auth_provider: str = "local"
    last_used: int | None = None
    last_activity: int | None = None
    uuid: str = ""
    version: int = 1
    tf_doc: str | None = None
    expired_at: int | None = None  # when it was refused as expired or idle: dead for good
    meta: str = ""  # JSON {"labels": {...}, "annotations": {...}}; "" for none

    @property
    def labels(self) -> dict[str, str]:
        return json.loads(self.meta).get("labels", {}) if self.meta else {}

    @property
    def annotations(self) -> dict[str, str]:
        return json.loads(self.meta).get("annotations", {}) if self.meta else {}

    @property
    def expires(self) -> int | None:
        return None if self.ttl == 0 else self.created + self.ttl


def token_meta(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    """The `meta` column of a token with these labels and annotations."""
    if not labels and not annotations:
        return ""
    return json.dumps({"labels": dict(labels), "annotations": dict(annotations)},
                      sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Attempts:
    """A login throttle key's score (see shim/throttle.py); times in ms."""

    failures: float
    at: int  # the last update
    until: int = 0  # blocked until
    forget: int = 0  # from then on the score means nothing and may be dropped


@dataclass(frozen=True, slots=True)
class TokenQuery:
    """Filters for listing; `after` is the last id of the previous page."""

    now: int
    user_id: str | None = None
    description: str | None = None
    ttl: int | None = None
    kind: str | None = None
    not_kind: str | None = None
    enabled: bool | None = None
    expired: bool | None = None  # as authentication judges it, with the two settings below
    session_ms: int = 0  # the session TTL setting in ms (0: sessions live their own ttl)
    idle_ms: int = 0  # the effective idle timeout in ms (0: none)
    cluster_id: str | None = None
    after: str | None = None
    limit: int = 1000
    extra: dict = field(default_factory=dict)


class Conflict(Exception):
    """A unique key already exists, or a versioned write lost a race."""


class StoreUnavailable(Exception):
    """The store could not be opened (unreachable, refused, unwritable); says why in a line."""


class HashingRequired(Exception):
    """token-hashing is on in the store: a plain secret may not be stored."""


class CachedRows(Protocol):
    def get(self, token_id: str) -> tuple[Token, User] | None: ...


class Store(abc.ABC):
    blocks_loop = True  # statements run on the event loop (SQLite): pause between batches
    migrations_applied = 0  # how many `open` applied (0: the schema was up to date)

    def add_row_listener(self, callback: Callable[[], object]) -> None:
        """Also call `callback()` when `watch` hears that another process changed stored
        tokens or users (PostgreSQL's NOTIFY; a store that hears no such thing never calls)."""
        self._row_listeners = [*self.row_listeners(), callback]

    def row_listeners(self) -> list[Callable[[], object]]:
        return getattr(self, "_row_listeners", [])

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations (counted in `migrations_applied`)."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def ping(self) -> bool: ...

    def unavailable(self, exc: BaseException) -> str | None:
        """Why `exc`, raised by a store call, means the database is away (unreachable,
        restarting, failing over: retry later), or None when it means something else."""
        return str(exc) if isinstance(exc, StoreUnavailable) else None

    # users
    @abc.abstractmethod
    async def insert_user(self, user: User) -> None:
        """Raise Conflict when the id or username is taken."""

    @abc.abstractmethod
    async def get_user(self, user_id: str) -> User | None: ...

    @abc.abstractmethod
    async def get_user_by_username(self, username: str) -> User | None: ...

    @abc.abstractmethod
    async def list_users(self) -> list[User]: ...

    @abc.abstractmethod
    async def count_users(self) -> int: ...

    @abc.abstractmethod
    async def update_user(self, user: User) -> User:
        """Write `user` if the stored version is still user.version; return it bumped."""

    @abc.abstractmethod
    async def change_user(self, user_id: str, change: Callable[[User], User]) -> User | None:
        """As change_token, for a user: `change` decides on the row as locked for the write,
        so concurrent writers (on any replica) queue instead of failing or losing updates."""

    @abc.abstractmethod
    async def delete_user(self, user_id: str) -> bool:
        """Delete the user and all their tokens."""

    # tokens
    @abc.abstractmethod
    async def insert_token(self, token: Token) -> None:
        """Raise Conflict when the id is taken, HashingRequired when the secret is plain
        and token-hashing is on, judged in the same transaction as the insert."""

    @abc.abstractmethod
    async def get_token(self, token_id: str) -> Token | None: ...

    @abc.abstractmethod
    async def get_token_and_user(self, token_id: str) -> tuple[Token, User] | None:
        """One indexed read: what authentication needs."""

    def cached_rows(self) -> CachedRows | None:
        """The copy of (token, user) rows `get_token_and_user` answers from, kept exact
        (shim.store.rowcache.RowCache): a row it holds is the very object a read would
        return now, and a changed row is a new object.
        None when rows are not cached (then nothing may be assumed unchanged)."""
        return None

    @abc.abstractmethod
    async def list_tokens(self, query: TokenQuery) -> list[Token]:
        """Matching tokens ordered by id, at most query.limit."""

    @abc.abstractmethod
    async def update_token(self, token: Token) -> Token:
        """Write if the stored version is still token.version; return it bumped."""

    @abc.abstractmethod
    async def change_token(self, token_id: str, change: Callable[[Token], Token]) -> Token | None:
        """In one transaction, with the row locked against other writers: store
        `change(token)` (version bumped) unless it returns the token unchanged; return what
        is stored, or None when there is no such token. An exception from `change` aborts."""

    @abc.abstractmethod
    async def delete_token(self, token_id: str, version: int | None = None) -> bool:
        """Delete the token (only while its version is `version`, when given); whether it was."""

    @abc.abstractmethod
    async def delete_sessions(self, user_id: str) -> int:
        """Delete every session (login) token of a user."""

    @abc.abstractmethod
    async def touch_token(self, token_id: str, now: int, activity: bool) -> None:
        """Record use (and, for sessions, activity) without bumping the version."""

    @abc.abstractmethod
    async def expire_token(self, token_id: str, now: int) -> None:
        """Record that the token was refused as expired (expired_at; the version is bumped):
        it stays dead whatever the settings say later."""

    @abc.abstractmethod
    async def purge_expired(self, now: int, batch: int, session_ms: int = 0,
                            idle_ms: int = 0) -> int:
        """Delete up to `batch` dead tokens (see TokenQuery.expired); return how many."""

    async def count_tokens(self, query: TokenQuery) -> int:
        """How many tokens match `query` (after `query.after`, when given), counting at most
        query.limit of them: the cost is bounded by the limit, not by the matches."""
        raise NotImplementedError

    async def count_tokens_by_kind(self, now: int, session_ms: int = 0,
                                   idle_ms: int = 0) -> dict[tuple[str, bool], int]:
        """{(kind, expired at `now`): count} in one GROUP BY over tokens, for metrics."""
        raise NotImplementedError

    async def enable_token_hashing(self, hasher, batch: int = HASH_BATCH) -> int:
        """Set the feature and hash every plain secret; return how many this call hashed.

        The feature is set in the transaction that hashes the first `batch` secrets: once
        it commits no plain secret is stored again, and if it fails nothing changed. The
        rest are hashed `batch` at a time, each batch its own transaction, pausing between
        batches as long as each took where statements block the loop (requests run
        meanwhile). Then `scrub_tokens()`.
        Running it again resumes an interrupted rewrite.
        """
        loop = asyncio.get_running_loop()
        total, after, enable = 0, "", True
        while True:
            started = loop.time()
            hashed, last = await self.hash_secrets(hasher, after, batch, enable=enable)
            total, enable = total + hashed, False
            if last is None:  # none left after `after`; a concurrent writer may have held some
                if not await self.has_plain_secrets():
                    break
            after = last or ""
            pause = loop.time() - started if self.blocks_loop else 0
            await asyncio.sleep(pause)
        await self.scrub_tokens()
        return total

    @abc.abstractmethod
    async def hash_secrets(
        self, hasher, after: str, batch: int, *, enable: bool
    ) -> tuple[int, str | None]:
        """In one transaction: hash up to `batch` plain secrets of tokens with ids after
        `after`, in id order (and set the feature first, when `enable`); return how many,
        and the last id hashed (None when there was none)."""

    @abc.abstractmethod
    async def has_plain_secrets(self) -> bool: ...

    @abc.abstractmethod
    async def scrub_tokens(self) -> None:
        """Leave no copy of a replaced secret in the database's files where the backend
        can: SQLite truncates its WAL, PostgreSQL rewrites the tokens table."""

    @abc.abstractmethod
    async def change_throttle(self, keys: list[str], change: Callable) -> object:
        """The login throttle's scores (shim.throttle), shared by every process on the
        store. In one transaction, with the rows of `keys` locked against other writers:
        `new, result = change({key: Attempts})` (keys without a row are absent), store
        `new` (None drops a key), return `result`."""

    # settings, features, terraform documents
    @abc.abstractmethod
    async def get_settings(self) -> dict[str, str]: ...

    @abc.abstractmethod
    async def get_setting_rows(self) -> dict[str, tuple[str | None, int]]:
        """{name: (value, or None once reset; version)} of every setting ever stored."""

    @abc.abstractmethod
    async def put_settings(
        self, values: dict[str, str | None], docs: dict[tuple[str, str], str | None], *,
        expected: Mapping[str, int] | None = None,
        check: Callable[[dict[str, str]], None] | None = None,
    ) -> None:
        """Atomically store values (None resets) and documents keyed (kind, id) (None drops).

        Settings writers are serialised. Before writing, on the committed state: raise
        Conflict when a setting's version is not `expected[name]` (0: never stored), then
        call `check(current values)`, whose exception aborts the write.
        """

    @abc.abstractmethod
    async def get_features(self) -> dict[str, bool]: ...

    @abc.abstractmethod
    async def set_feature(self, name: str, value: bool | None) -> None: ...

    @abc.abstractmethod
    async def get_doc(self, kind: str, doc_id: str) -> str | None: ...

    async def watch(self, on_change: Callable[[str], object], heartbeat: float = 5.0) -> None:
        """Call `on_change(what)` when another process changed cached data: "settings",
        "features", or "*" (anything: PostgreSQL sends it on every (re)connect, as changes
        may have been missed; SQLite on every commit of another connection). Runs until
        cancelled; returns at once where no other process can write. PostgreSQL pings and
        reconnects at least every `heartbeat` seconds."""

    @abc.abstractmethod
    async def get_docs(self, kind: str) -> dict[str, str]: ...
