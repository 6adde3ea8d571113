"""The one rule for a cluster-scoped caller, asked by every path that mints or changes a
credential (v3, Terraform and ext tokens, generateKubeconfig, users and passwords).

A caller whose token carries a cluster id acts for its own user, in that cluster, until
its own token dies: it never obtains an unscoped, other-cluster or longer-lived
credential, never re-enables a disabled one, and never sees, changes or deletes a token
outside its scope (such a token does not exist for it: 404). An unscoped caller is a
full credential of its user; only ownership limits it, and that is checked apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from shim import policy
from shim.core.principal import Principal
from shim.errors import ApiError, forbidden
from shim.store.base import Token


@dataclass(frozen=True, slots=True)
class Scope:
    cluster: str  # "" = unscoped
    user_id: str
    ends: int | None  # when the caller's token dies whatever its use (None = never)

    def covers(self, token: Token) -> bool:
        """May the caller see or touch `token` at all?"""
        if not self.cluster:
            return True
        return token.user_id == self.user_id and token.cluster_id == self.cluster

    def cluster_for(self, requested: str, field: str) -> str:
        """The cluster of a token the caller makes: its own when scoped (the default)."""
        if self.cluster and requested and requested != self.cluster:
            raise self.refusal(f"act for {field} {requested}")
        return self.cluster or requested

    def owner_for(self, requested: str | None) -> None:
        if self.cluster and requested and requested != self.user_id:
            raise self.refusal("make tokens for another user")

    def ttl_for(self, ttl_ms: int, now: int) -> int:
        """A new token's ttl (0 = never), cut to end no later than the caller's."""
        return policy.derived_ttl(ttl_ms, now, self.ends) if self.cluster else ttl_ms

    def check_change(self, before: Token, after: Token) -> None:
        """A scoped caller may narrow a token it covers, never widen it."""
        if not self.cluster:
            return
        if after.enabled and not before.enabled:
            raise self.refusal("enable a token")
        if policy.extends_ttl(before.ttl, after.ttl):
            raise self.refusal("extend a token's time-to-live")

    def require_unscoped(self, what: str) -> None:
        if self.cluster:
            raise self.refusal(what)

    def refusal(self, what: str) -> ApiError:
        return forbidden(f"a token scoped to cluster {self.cluster} may not {what}")


def scope_of(actor: Principal, session_minutes: int) -> Scope:
    """The caller's scope; `session_minutes` is the session TTL setting (it ends sessions)."""
    token = actor.token
    return Scope(token.cluster_id, actor.user.id, hard_expiry(token, session_minutes))


def hard_expiry(token: Token, session_minutes: int) -> int | None:
    """When the token dies whatever its use: its ttl, for sessions the session setting."""
    if token.kind != "session":
        return token.expires
    return policy.expires_ms(token.created, policy.session_ttl(token.ttl, session_minutes))


def require_unscoped(actor: Principal, what: str) -> None:
    """For what no cluster owns (users, passwords, every session of a user)."""
    Scope(actor.token.cluster_id, actor.user.id, None).require_unscoped(what)
