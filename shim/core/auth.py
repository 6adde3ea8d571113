"""Authentication of `<id>:<secret>` credentials: one indexed read, no slow hashing."""

from __future__ import annotations

from shim import crypto, policy
from shim.core.principal import Principal
from shim.core.settings import SettingsService
from shim.errors import unauthorized
from shim.settings_catalog import IDLE_TTL, SESSION_TTL
from shim.store.base import Store, Token


class Authenticator:
    def __init__(self, store: Store, settings: SettingsService) -> None:
        self.store = store
        self.settings = settings

    async def authenticate(self, credential: str | None, path: str, now: int) -> Principal:
        """The principal for a valid credential, else the one 401 Rancher gives for all."""
        token_id, _, secret = (credential or "").partition(":")
        if not token_id or not secret:
            raise unauthorized()
        found = await self.store.get_token_and_user(token_id)
        if found is None:
            raise unauthorized()
        token, user = found
        if not (crypto.verify_secret(token.secret, secret) and token.enabled and user.enabled):
            raise unauthorized()
        if not self.alive(token, now) or not policy.cluster_allows(token.cluster_id, path):
            raise unauthorized()
        if policy.should_touch(token.last_used, now):
            await self.store.touch_token(token.id, now, activity=token.kind == "session")
        return Principal(user, token)

    def alive(self, token: Token, now: int) -> bool:
        """Not expired; sessions also honour the current session and idle settings."""
        if token.kind != "session":
            return not policy.is_expired(token.created, token.ttl, now)
        session = self.settings.minutes(SESSION_TTL)
        ttl = policy.session_ttl(token.ttl, session)
        if policy.is_expired(token.created, ttl, now):
            return False
        idle = policy.effective_idle_minutes(self.settings.minutes(IDLE_TTL), session)
        return not policy.is_idle_expired(token.last_activity, idle, now)
