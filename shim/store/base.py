"""The store contract: records and the operations every backend provides.

Times are epoch milliseconds. Every write is one transaction: it is either
fully committed when the call returns, or not at all.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    name: str
    role: str  # "admin" or "user"
    enabled: bool
    password_hash: str
    created: int
    version: int = 1
    tf_doc: str | None = None


@dataclass(frozen=True, slots=True)
class Token:
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

    @property
    def expires(self) -> int | None:
        return None if self.ttl == 0 else self.created + self.ttl


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
        """Raise Conflict when the id is taken."""

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
    async def delete_token(self, token_id: str) -> bool: ...

    @abc.abstractmethod
    async def delete_sessions(self, user_id: str) -> int:
        """Delete every session (login) token of a user."""

    @abc.abstractmethod
    async def touch_token(self, token_id: str, now: int, activity: bool) -> None:
        """Record use (and, for sessions, activity) without bumping the version."""

    @abc.abstractmethod
    async def purge_expired(self, now: int, batch: int) -> int:
        """Delete up to `batch` expired tokens; return how many."""

    @abc.abstractmethod
    async def enable_token_hashing(self, hasher) -> int:
        """In one transaction: set the feature and hash every plain secret."""

    # settings, features, terraform documents
    @abc.abstractmethod
    async def get_settings(self) -> dict[str, str]: ...

    @abc.abstractmethod
    async def put_settings(
        self, values: dict[str, str | None], docs: dict[tuple[str, str], str | None]
    ) -> None:
        """Atomically store values (None resets) and documents keyed (kind, id) (None drops)."""

    @abc.abstractmethod
    async def get_features(self) -> dict[str, bool]: ...

    @abc.abstractmethod
    async def set_feature(self, name: str, value: bool | None) -> None: ...

    @abc.abstractmethod
    async def get_doc(self, kind: str, doc_id: str) -> str | None: ...

    @abc.abstractmethod
    async def get_docs(self, kind: str) -> dict[str, str]: ...
