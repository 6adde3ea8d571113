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
from shim.errors import forbidden, unauthorized
from shim.settings_catalog import IDLE_TTL, SESSION_TTL
from shim.store.base import Store, Token, User


class Authenticator:
    def __init__(self, store: Store, settings: SettingsService) -> None:
        self.store = store
        self.settings = settings

    async def authenticate(self, credential: str | None, path: str, now: int) -> Principal:
        """The principal for a valid credential, else the one 401 Rancher gives for all."""
        return await self._verify(credential, now,
                                  lambda cluster_id: policy.cluster_allows(cluster_id, path))

    async def review(self, credential: str | None, cluster: str, now: int) -> Principal:
        """A TokenReview for `cluster`: every rule of `authenticate`, the token's cluster
        scope judged against `cluster`, and a user who must change their password refused
        (a cluster offers nothing that changes it). 401 ApiErrors name the reason."""
        found = await self._verify(credential, now,
                                   lambda cluster_id: policy.cluster_scope_allows(cluster_id,
                                                                                  cluster))
        if found.user.must_change_password:
            raise unauthorized("must change password")
        return found

    async def front_proxy(self, remote_user: str, token_id: str | None, now: int) -> Principal:
        """The principal of a request a trusted front proxy (a kube-apiserver) forwards
        for `remote_user`: a token-shim user id (what TokenReviews answer), else a
        username. The token is the one that authenticated the user at the proxy (its
        `requesttokenid` extra) when it is theirs and still valid, else a stand-in with
        no id: the kube-apiserver may cache a review for a while, token-shim does not.
        Unknown or disabled users are refused (403: the proxy did authenticate them)."""
        user = (await self.store.get_user(remote_user)
                or await self.store.get_user_by_username(remote_user))
        if user is None or not user.enabled:
            raise forbidden(f'user "{remote_user}" is not a token-shim user'
                            if user is None else f'user "{remote_user}" is disabled')
        if user.must_change_password:
            raise forbidden("you must change your password first:"
                            " POST /v3/users?action=changepassword")
        token = await self.store.get_token(token_id) if token_id else None
        if (token is None or token.user_id != user.id or not token.enabled
                or self.death(token, now)):
            token = Token(id="", user_id=user.id, kind="front-proxy", secret="", description="",
                          ttl=0, ttl_requested=0, created=now)
        return Principal(user, token)

    async def _verify(self, credential: str | None, now: int, in_scope) -> Principal:
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
        if not refused and not in_scope(token.cluster_id):
            refused = "cluster scope"
        if refused:
            raise unauthorized(refused)
        if policy.should_touch(token.last_used, now):
            await self.store.touch_token(token.id, now, activity=token.kind == "session")
        return Principal(user, token)

    def steady_until(self, caller: Token, shown: Token, now: int) -> int:
        """The end of the span from `now` in which authenticating with `caller` writes
        nothing (its next lastUsedAt touch is not due) and neither token's liveness
        changes; `now` when there is no such span. Death is monotonic in time (a token
        dead at t is dead after t), so alive at both ends means alive throughout."""
        until = policy.touch_due(caller.last_used, now)
        if (until <= now or not self.alive(caller, until - 1)
                or self.alive(shown, now) != self.alive(shown, until - 1)):
            return now
        return until

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
