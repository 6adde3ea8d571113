"""Authentication of `<id>:<secret>` credentials: one indexed read, no slow hashing.

An unknown id is compared against a dummy hash, so both refusals do the same
secret check; what still differs is the read (a known id is usually served from
the row cache, an unknown one always asks the database: a few microseconds).
"""

from __future__ import annotations

from shim import crypto, policy
from shim.core.ext_tokens import EXT, split_bearer
from shim.core.principal import Principal
from shim.core.settings import SettingsService
from shim.errors import unauthorized
from shim.settings_catalog import IDLE_TTL, SESSION_TTL
from shim.store.base import Store, Token, User


class Authenticator:
    def __init__(self, store: Store, settings: SettingsService) -> None:
        self.store = store
        self.settings = settings

    async def authenticate(self, credential: str | None, path: str, now: int) -> Principal:
        """The principal for a valid credential, else the one 401 Rancher gives for all."""
        token_id, secret, ext = split_bearer(credential or "")
        if not token_id or not secret or not credential.isascii():  # ids and secrets are ASCII
            raise unauthorized("no credential" if credential is None else "malformed credential")
        found = await self.store.get_token_and_user(token_id)
        if found is None:
            crypto.verify_secret(crypto.dummy_secret_hash(), secret)  # as for a wrong secret
            raise unauthorized("unknown token")
        token, user = found
        if (token.kind == EXT) != ext:  # as in Rancher, each bearer form finds only its kind
            raise unauthorized("unknown token")
        refused = _refusal(crypto.verify_secret(token.secret, secret), token, user)
        if not refused:
            refused = self.death(token, now)
            if refused and token.kind == "session" and token.expired_at is None:
                # Dead for good: raising the settings again must not revive it.
                await self.store.expire_token(token.id, now)
        if not refused and not policy.cluster_allows(token.cluster_id, path):
            refused = "cluster scope"
        if refused:
            raise unauthorized(refused)
        if policy.should_touch(token.last_used, now):
            await self.store.touch_token(token.id, now, activity=token.kind == "session")
        return Principal(user, token)

    def alive(self, token: Token, now: int) -> bool:
        """Not expired; sessions also honour the current session and idle settings."""
        return self.death(token, now) is None

    def death(self, token: Token, now: int) -> str | None:
        """Why the token is no longer alive ("expired" or "idle"), or None.

        The store's `expired` queries and the purge judge the same way (sql.deaths)."""
        if token.expired_at is not None:
            return "expired"
        if token.kind != "session":
            return "expired" if policy.is_expired(token.created, token.ttl, now) else None
        session = self.settings.minutes(SESSION_TTL)
        ttl = policy.session_ttl(token.ttl, session)
        if policy.is_expired(token.created, ttl, now):
            return "expired"
        idle = policy.effective_idle_minutes(self.settings.minutes(IDLE_TTL), session)
        return "idle" if policy.is_idle_expired(token.last_activity, idle, now) else None


def _refusal(secret_ok: bool, token: Token, user: User) -> str | None:
    if not secret_ok:
        return "bad secret"
    if not token.enabled:
        return "disabled token"
    return None if user.enabled else "disabled user"
