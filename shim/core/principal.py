from __future__ import annotations

from dataclasses import dataclass

from shim.store.base import Token, User


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the user and the token they presented."""

    user: User
    token: Token

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"

    def may_see(self, owner_id: str) -> bool:
        return self.is_admin or owner_id == self.user.id
