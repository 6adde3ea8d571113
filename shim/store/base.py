"""The store contract: records and the operations every backend provides.

Times are epoch milliseconds. Every write is one transaction: it is either
fully committed when the call returns, or not at all.
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass, field
from typing import Callable, Mapping


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
class TokenQuery:
    """Filters for listing; `after` is the last id of the previous page."""

    now: int
    user_id: str | None = None
    description: str | None = None
    ttl: int | None = None
    kind: str | None = None
    enabled: bool | None = None
    expired: bool | None = None
    cluster_id: str | None = None
    after: str | None = None
    limit: int = 1000
    extra: dict = field(default_factory=dict)


class Conflict(Exception):
    """A unique key already exists, or a versioned write lost a race."""


class HashingRequired(Exception):
    """token-hashing is on in the store: a plain secret may not be stored."""


class Store(abc.ABC):
    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def ping(self) -> bool: ...

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
    async def purge_expired(self, now: int, batch: int) -> int:
        """Delete up to `batch` expired tokens; return how many."""

    async def count_tokens_by_kind(self, now: int) -> dict[tuple[str, bool], int]:
        """{(kind, expired at `now`): count} in one GROUP BY over tokens, for metrics."""
        raise NotImplementedError

    @abc.abstractmethod
    async def enable_token_hashing(self, hasher) -> int:
        """In one transaction: set the feature and hash every plain secret."""

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
        "features", or "*" (anything: sent on every (re)connect, as changes may have been
        missed). Runs until cancelled; returns at once where one process owns the store
        (SQLite). Pings and reconnects at least every `heartbeat` seconds."""

    @abc.abstractmethod
    async def get_docs(self, kind: str) -> dict[str, str]: ...
