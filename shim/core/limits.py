"""Caps on what one user may store: metadata per object, live tokens per user.

Rancher has neither (Kubernetes caps annotations at 256 KB per object, and has no
per-user object count); without them one user fills the store and every list.
"""

from __future__ import annotations

from typing import Mapping

from shim.errors import ApiError, forbidden
from shim.store.base import Store, TokenQuery

MAX_METADATA_BYTES = 32 * 1024
SESSION = "session"


def metadata_size(labels: Mapping | None, annotations: Mapping | None) -> int:
    """Bytes of every key and value (UTF-8), as Kubernetes counts annotations."""
    return sum(len(str(k).encode()) + len(str(v).encode())
               for part in (labels or {}, annotations or {}) for k, v in part.items())


def check_metadata(labels: Mapping | None, annotations: Mapping | None,
                   field: str = "metadata") -> None:
    """422 naming the cap when labels and annotations together exceed MAX_METADATA_BYTES."""
    size = metadata_size(labels, annotations)
    if size > MAX_METADATA_BYTES:
        rule = (f"labels and annotations together must have at most {MAX_METADATA_BYTES} "
                "bytes (keys and values, UTF-8): the metadata size cap")
        raise ApiError(422, "InvalidBodyContent", f"{field}: Too long: {size} bytes; {rule}",
                       [{"field": field, "value": f"{size} bytes", "rule": rule}])


class TokenCap:
    """At most `per_user` live tokens per user, login sessions not counted (each costs a
    password check and dies with the session TTL). Checked before each insert, so
    concurrent creates of one user may pass it by the number in flight."""

    def __init__(self, store: Store, per_user: int) -> None:
        self.store = store
        self.per_user = per_user

    async def check(self, user_id: str, now: int) -> None:
        if not self.per_user:  # 0: no cap
            return
        live = await self.store.count_tokens(TokenQuery(
            now=now, user_id=user_id, not_kind=SESSION, expired=False, limit=self.per_user))
        if live >= self.per_user:
            raise forbidden(f"exceeded quota: user {user_id} has {live} live tokens, the most "
                            "max_tokens_per_user allows; delete some (or let them expire) first")
