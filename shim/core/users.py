"""Local users: roles, enabling, passwords and password login."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from shim import crypto
from shim.core.principal import Principal
from shim.core.scope import require_unscoped
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
        require_unscoped(actor, "manage users")
        return await self._insert(
            body["username"], body.get("name", ""), body.get("role", "user"),
            body["password"], body.get("enabled", True), now,
            must_change=body.get("mustChangePassword", False),
        )

    async def create_service_account(
        self, actor: Principal, body: dict[str, Any], now: int, tf_doc: str | None = None
    ) -> User:
        """A user without a password, for tokens an admin mints (e.g. for CI)."""
        _require_admin(actor)
        require_unscoped(actor, "manage users")
        return await self._insert(
            body["username"], body.get("name", ""), body.get("role", "user"), None,
            body.get("enabled", True), now, tf_doc,
        )

    async def _insert(self, username, name, role, password, enabled, now, tf_doc=None,
                      must_change=False) -> User:
        if await self.store.get_user_by_username(username):
            raise conflict(f"username {username} is already taken")
        password_hash = NO_PASSWORD
        if password is not None:
            password_hash = await asyncio.to_thread(crypto.hash_password, password)
        for _ in range(10):
            user = User(ID_PREFIX + crypto.new_suffix(), username, name, role, enabled,
                        password_hash, now, tf_doc=tf_doc, must_change_password=must_change)
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
        """Decided on the row as locked for the write: concurrent writers queue."""
        changes = {k: body[k] for k in ("name", "enabled", "role") if k in body}
        if "mustChangePassword" in body:
            changes["must_change_password"] = body["mustChangePassword"]
        if tf_doc is not None:
            changes["tf_doc"] = tf_doc

        require_unscoped(actor, "manage users")

        def change(user: User) -> User:
            if not actor.may_see(user.id):
                raise not_found(f"{user_id} not found")
            _check_update(actor, user, body, changes)
            return replace(user, **changes)

        return await self._change(user_id, change)

    async def _change(self, user_id: str, change) -> User:
        updated = await self.store.change_user(user_id, change)
        if updated is None:
            raise not_found(f"{user_id} not found")
        return updated

    async def delete(self, actor: Principal, user_id: str) -> None:
        _require_admin(actor)
        require_unscoped(actor, "manage users")
        if user_id == actor.user.id:
            raise invalid_field("id", user_id, "is you: an admin may not delete themselves")
        if not await self.store.delete_user(user_id):
            raise not_found(f"{user_id} not found")

    async def set_password(self, actor: Principal, user_id: str, new: str) -> User:
        _require_admin(actor)
        require_unscoped(actor, "change a password")
        user = await self.get(actor, user_id)
        return await self._store_password(user, new)

    async def change_password(self, actor: Principal, current: str, new: str) -> User:
        require_unscoped(actor, "change a password")
        user = actor.user
        if not await asyncio.to_thread(crypto.verify_password, user.password_hash, current):
            raise invalid_field("currentPassword", "(hidden)", "is not the current password")
        return await self._store_password(user, new, changed_by_user=True)

    async def _store_password(self, user: User, new: str, changed_by_user: bool = False) -> User:
        """Tokens are untouched: changing a password never logs anyone out.

        The user changing it themselves clears mustChangePassword; an admin's setpassword
        leaves it as it is.
        """
        password_hash = await asyncio.to_thread(crypto.hash_password, new)
        changes: dict[str, Any] = {"password_hash": password_hash}
        if changed_by_user:
            changes["must_change_password"] = False
        return await self._change(user.id, lambda fresh: replace(fresh, **changes))

    async def reset_password(self, username: str, password: str) -> tuple[User, int]:
        """`token-shim reset-password`: a new password for `username`, and their sessions
        (login tokens, the console's too) ended; API tokens stay. The user, and how many
        sessions ended. Through the store, so every replica's row cache drops them."""
        user = await self.store.get_user_by_username(username)
        if user is None or not crypto.is_password_hash(user.password_hash):
            raise not_found(f"no user {username} with a password")
        password_hash = await asyncio.to_thread(crypto.hash_password, password)
        changed = await self.store.change_user(
            user.id, lambda u: replace(u, password_hash=password_hash))
        if changed is None:
            raise not_found(f"no user {username} with a password")
        return changed, await self.store.delete_sessions(user.id)

    async def check_password(self, username: str, password: str) -> User:
        """The user for a correct password; the same 401 for every failure.

        Every failure runs the password KDF once (unknown users and service
        accounts against a dummy hash), so timing does not tell them apart, and
        a disabled user gets the same 401 whether the password was right or not.
        """
        user = await self.store.get_user_by_username(username)
        stored = user.password_hash if user else NO_PASSWORD
        if not crypto.is_password_hash(stored):
            stored = crypto.dummy_password_hash()
        ok = await asyncio.to_thread(crypto.verify_password, stored, password)
        if user is None or user.password_hash != stored or not ok:
            raise login_failed("bad password")
        if not user.enabled:
            raise login_failed("disabled user")
        return user


def _check_update(actor: Principal, user: User, body: dict[str, Any], changes: dict) -> None:
    if "username" in body and body["username"] != user.username:
        raise invalid_field("username", body["username"], "is immutable")
    if changes.get("must_change_password") and not crypto.is_password_hash(user.password_hash):
        raise invalid_field("mustChangePassword", True,
                            "cannot be set on a service account: it has no password")
    if not actor.is_admin and set(changes) - {"name", "tf_doc"}:
        raise forbidden("only an admin may change enabled, role or mustChangePassword")
    locks_out = changes.get("enabled") is False or changes.get("role") == "user"
    if user.id == actor.user.id and locks_out:
        raise invalid_field("enabled" if "enabled" in changes else "role",
                            changes.get("enabled", changes.get("role")),
                            "would lock you out: an admin may not disable or demote themselves")


def _require_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise forbidden("only an admin may do this")
