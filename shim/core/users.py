"""Local users: roles, enabling, passwords and password login."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from shim import crypto
from shim.core.principal import Principal
from shim.errors import ApiError, conflict, forbidden, invalid_field, login_failed, not_found
from shim.store.base import Conflict, Store, User

ID_PREFIX = "user-"
NO_PASSWORD = "!"  # matches no password: service accounts authenticate by token only


class UserService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def bootstrap(self, password: str, now: int) -> User | None:
        """Create the `admin` user when the store has no user at all."""
        if await self.store.count_users():
            return None
        try:
            return await self._insert("admin", "Default Admin", "admin", password, True, now)
        except ApiError as err:
            if err.status == 409:  # a replica starting at the same time made it first
                return None
            raise

    async def create(self, actor: Principal, body: dict[str, Any], now: int) -> User:
        _require_admin(actor)
        return await self._insert(
            body["username"], body.get("name", ""), body.get("role", "user"),
            body["password"], body.get("enabled", True), now,
        )

    async def create_service_account(
        self, actor: Principal, body: dict[str, Any], now: int, tf_doc: str | None = None
    ) -> User:
        """A user without a password, for tokens an admin mints (e.g. for CI)."""
        _require_admin(actor)
        return await self._insert(
            body["username"], body.get("name", ""), body.get("role", "user"), None,
            body.get("enabled", True), now, tf_doc,
        )

    async def _insert(self, username, name, role, password, enabled, now, tf_doc=None) -> User:
        if await self.store.get_user_by_username(username):
            raise conflict(f"username {username} is already taken")
        password_hash = NO_PASSWORD
        if password is not None:
            password_hash = await asyncio.to_thread(crypto.hash_password, password)
        for _ in range(10):
            user = User(ID_PREFIX + crypto.new_suffix(), username, name, role, enabled,
                        password_hash, now, tf_doc=tf_doc)
            try:
                await self.store.insert_user(user)
                return user
            except Conflict:
                if await self.store.get_user_by_username(username):
                    raise conflict(f"username {username} is already taken") from None
        raise ApiError(503, "ServerError", "could not allocate a user id; try again")

    async def get(self, actor: Principal, user_id: str) -> User:
        user = await self.store.get_user(user_id)
        if user is None or not actor.may_see(user.id):
            raise not_found(f"{user_id} not found")
        return user

    async def list(self, actor: Principal) -> list[User]:
        if actor.is_admin:
            return await self.store.list_users()
        return [actor.user]

    async def update(
        self, actor: Principal, user_id: str, body: dict[str, Any], tf_doc: str | None = None
    ) -> User:
        user = await self.get(actor, user_id)
        if "username" in body and body["username"] != user.username:
            raise invalid_field("username", body["username"], "is immutable")
        changes = {k: body[k] for k in ("name", "enabled", "role") if k in body}
        if not actor.is_admin and set(changes) - {"name"}:
            raise forbidden("only an admin may change enabled or role")
        if user.id == actor.user.id and (changes.get("enabled") is False or changes.get("role") == "user"):
            raise invalid_field("enabled" if "enabled" in changes else "role",
                                changes.get("enabled", changes.get("role")),
                                "would lock you out: an admin may not disable or demote themselves")
        if tf_doc is not None:
            changes["tf_doc"] = tf_doc
        if all(getattr(user, k) == v for k, v in changes.items()):
            return user
        return await self.store.update_user(replace(user, **changes))

    async def delete(self, actor: Principal, user_id: str) -> None:
        _require_admin(actor)
        if user_id == actor.user.id:
            raise invalid_field("id", user_id, "is you: an admin may not delete themselves")
        if not await self.store.delete_user(user_id):
            raise not_found(f"{user_id} not found")

    async def set_password(self, actor: Principal, user_id: str, new: str) -> User:
        _require_admin(actor)
        user = await self.get(actor, user_id)
        return await self._store_password(user, new)

    async def change_password(self, actor: Principal, current: str, new: str) -> User:
        user = actor.user
        if not await asyncio.to_thread(crypto.verify_password, user.password_hash, current):
            raise invalid_field("currentPassword", "(hidden)", "is not the current password")
        return await self._store_password(user, new)

    async def _store_password(self, user: User, new: str) -> User:
        """Tokens are untouched: changing a password never logs anyone out."""
        fresh = await self.store.get_user(user.id) or user
        password_hash = await asyncio.to_thread(crypto.hash_password, new)
        return await self.store.update_user(replace(fresh, password_hash=password_hash))

    async def check_password(self, username: str, password: str) -> User:
        """The user for a correct password; 401 otherwise, 403 when disabled."""
        user = await self.store.get_user_by_username(username)
        stored = user.password_hash if user else crypto.dummy_password_hash()
        ok = await asyncio.to_thread(crypto.verify_password, stored, password)
        if user is None or not ok:
            raise login_failed("bad password")
        if not user.enabled:
            raise forbidden("user is disabled")
        return user


def _require_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise forbidden("only an admin may do this")
