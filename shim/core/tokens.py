"""API, session, kubeconfig and system tokens: creation, reads, updates, deletion."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from shim import crypto, policy
from shim.core.ext_tokens import EXT
from shim.core.features import FeatureService
from shim.core.limits import SESSION, TokenCap, check_metadata
from shim.core.principal import Principal
from shim.core.scope import Scope, require_unscoped, scope_of
from shim.core.settings import SettingsService
from shim.errors import ApiError, bad_request, forbidden, invalid_field, not_found
from shim.settings_catalog import IDLE_TTL, KUBECONFIG_TTL, MAX_TTL, SESSION_TTL
from shim.store.base import Conflict, HashingRequired, Store, Token, TokenQuery, token_meta

SYSTEM_KINDS = ("kubectl-shell", "agent", "compose-token", "helm-token", "drain-node")
KINDS = ("api", "session", "kubeconfig") + SYSTEM_KINDS
# Fields a client may send back unchanged but never change (body key -> record attribute).
IMMUTABLE = {
    "userId": "user_id", "clusterId": "cluster_id", "kind": "kind",
    "isDerived": "is_derived", "authProvider": "auth_provider",
}
_RETRIES = 10
# Labels the server sets itself (owner, kind): a client's value for them is not kept.
RESERVED_LABEL_PREFIX = "authn.management.cattle.io/"


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token as created, with the bearer value shown this once."""

    token: Token
    bearer: str


class TokenService:
    def __init__(
        self, store: Store, settings: SettingsService, features: FeatureService,
        clusters: Iterable[str], cap: TokenCap | None = None,
    ) -> None:
        self.cap = cap
        self.store = store
        self.settings = settings
        self.features = features
        self.clusters = frozenset(clusters)

    async def create(
        self, actor: Principal, now: int, *, description: str = "", ttl: int = 0,
        cluster_id: str | None = "", user_id: str | None = None, kind: str = "api",
        enabled: bool = True, tf_doc: str | None = None, labels: dict | None = None,
        annotations: dict | None = None, check_ttl: Callable[[int], None] = lambda effective: None,
    ) -> NewToken:
        """`check_ttl` sees the effective (clamped) ttl before anything is written."""
        scope = self.scope(actor)
        scope.owner_for(user_id)
        owner = await self._owner(actor, user_id)
        cluster = scope.cluster_for(self._cluster(cluster_id), "clusterId")
        check_metadata(labels, annotations, "labels")
        meta = token_meta(_own_labels(labels or {}), annotations or {})
        if kind in SYSTEM_KINDS:
            if not actor.is_admin:
                raise forbidden(f"only an admin may create {kind} tokens")
            check_ttl(0)
            return await self._insert(
                owner, kind, now, description=description, ttl=scope.ttl_for(0, now),
                requested=ttl, cluster_id=cluster, enabled=enabled, tf_doc=tf_doc, meta=meta,
            )
        effective = policy.clamp_ttl(ttl, self.settings.minutes(MAX_TTL))
        check_ttl(effective)
        return await self._insert(
            owner, "api", now, description=description, ttl=scope.ttl_for(effective, now),
            requested=ttl, cluster_id=cluster, enabled=enabled, tf_doc=tf_doc, meta=meta,
        )

    async def create_kubeconfig_for(self, actor: Principal, cluster_id: str, now: int) -> NewToken:
        """generateKubeconfig's token: unscoped for an unscoped caller (as in Rancher); a
        cluster-scoped caller gets its own scope, for its own cluster only, and no later end."""
        scope = self.scope(actor)
        cluster = scope.cluster_for(cluster_id, "cluster") if scope.cluster else ""
        return await self.create_kubeconfig(actor.user.id, now, cluster, parent=scope)

    def scope(self, actor: Principal) -> Scope:
        """What the caller may mint and touch (see shim/core/scope.py)."""
        return scope_of(actor, self.settings.minutes(SESSION_TTL))

    async def create_session(
        self, user_id: str, now: int, *, description: str = "", ttl: int = 0,
        response_type: str = "",
    ) -> NewToken:
        """A login token: session TTL (not clamped), or a kubeconfig token for kubectl."""
        if response_type.startswith("kubeconfig_"):
            return await self.create_kubeconfig(user_id, now)
        session = self.settings.minutes(SESSION_TTL) * policy.MINUTE_MS
        effective = min(ttl, session) if ttl and session else (ttl or session)
        return await self._insert(
            user_id, "session", now, description=description, ttl=effective, requested=ttl,
            is_derived=False, last_activity=now,
        )

    async def create_kubeconfig(
        self, user_id: str, now: int, cluster_id: str = "", *, parent: Scope | None = None
    ) -> NewToken:
        minutes = self.settings.minutes(KUBECONFIG_TTL)
        effective = policy.clamp_ttl(minutes * policy.MINUTE_MS, self.settings.minutes(MAX_TTL))
        return await self._insert(
            user_id, "kubeconfig", now, description="Kubeconfig token",
            ttl=parent.ttl_for(effective, now) if parent else effective,
            requested=minutes * policy.MINUTE_MS, cluster_id=cluster_id,
        )

    async def _insert(self, user_id: str, kind: str, now: int, *, ttl: int, requested: int,
                      **fields: Any) -> NewToken:
        if self.cap is not None and kind != SESSION:
            await self.cap.check(user_id, now)
        secret = crypto.new_secret()
        hashing = self.features.hashing
        for _ in range(_RETRIES):
            stored = crypto.hash_secret(secret) if hashing else secret
            token = Token(
                id=_new_id(kind, user_id), user_id=user_id, kind=kind, secret=stored,
                ttl=ttl, ttl_requested=requested, created=now, uuid=crypto.new_uuid(),
                **{"description": "", **fields},
            )
            try:
                await self.store.insert_token(token)
                return NewToken(token, f"{token.id}:{secret}")
            except HashingRequired:  # enabled on another replica; our cache lags
                hashing = True
                await self.features.refresh()
            except Conflict:
                continue  # five random characters collide now and then: draw again
        raise ApiError(503, "ServerError", "could not allocate a token id; try again")

    async def _owner(self, actor: Principal, user_id: str | None) -> str:
        if not user_id or user_id == actor.user.id:
            return actor.user.id
        if not actor.is_admin:
            raise forbidden("only an admin may create tokens for another user")
        if await self.store.get_user(user_id) is None:
            raise invalid_field("userId", user_id, "is not an existing user")
        return user_id

    def _cluster(self, cluster_id: str | None) -> str:
        if cluster_id and cluster_id not in self.clusters:
            raise invalid_field("clusterId", cluster_id, "is not a known cluster")
        return cluster_id or ""

    async def get(self, actor: Principal, token_id: str) -> Token:
        token = await self.store.get_token(token_id)
        if token is None or not self._visible(actor, token):
            raise not_found(f"{token_id} not found")
        return token

    def _visible(self, actor: Principal, token: Token) -> bool:
        return (token.kind != EXT and actor.may_see(token.user_id)
                and self.scope(actor).covers(token))

    async def list(self, actor: Principal, query: TokenQuery) -> list[Token]:
        if not actor.is_admin:
            query = replace(query, user_id=actor.user.id)
        if actor.token.cluster_id:  # a scoped caller sees only its own scope
            query = replace(query, user_id=actor.user.id, cluster_id=actor.token.cluster_id)
        if query.kind == EXT:  # ext tokens belong to the kube face, as in Rancher
            return []
        if query.kind is None:
            query = replace(query, not_kind=EXT)
        return await self.store.list_tokens(replace(query, **self.death_settings()))

    def death_settings(self) -> dict[str, int]:
        """The settings that also end sessions, in ms, as the store's queries take them."""
        session = self.settings.minutes(SESSION_TTL)
        idle = policy.effective_idle_minutes(self.settings.minutes(IDLE_TTL), session)
        return {"session_ms": session * policy.MINUTE_MS, "idle_ms": idle * policy.MINUTE_MS}

    async def update(
        self, actor: Principal, token_id: str, changes: dict[str, Any], now: int,
        *, expected_version: int | None = None, tf_doc: str | None = None,
        check_ttl: Callable[[int], None] = lambda effective: None,
    ) -> Token:
        """Change description, enabled and ttl, decided on the row as locked for the write:
        concurrent writers (on any replica) queue instead of losing or retrying.
        `check_ttl` sees the resulting effective ttl and may refuse the change."""

        def change(token: Token) -> Token:
            if not self._visible(actor, token):
                raise not_found(f"{token_id} not found")
            if expected_version is not None and token.version != expected_version:
                raise _changed(token_id)
            updated = self._apply(actor, token, changes)
            self.scope(actor).check_change(token, updated)
            check_ttl(updated.ttl)
            return updated if tf_doc is None else replace(updated, tf_doc=tf_doc)

        updated = await self.store.change_token(token_id, change)
        if updated is None:
            raise not_found(f"{token_id} not found")
        return updated

    def _apply(self, actor: Principal, token: Token, changes: dict[str, Any]) -> Token:
        for field, attribute in IMMUTABLE.items():
            if field in changes and (changes[field] or "") != (getattr(token, attribute) or ""):
                raise invalid_field(field, changes[field], "is immutable")
        updated = token
        if "description" in changes:
            updated = replace(updated, description=changes["description"])
        if "enabled" in changes:
            updated = replace(updated, enabled=changes["enabled"])
        if "labels" in changes or "annotations" in changes:
            labels = _own_labels(changes.get("labels", token.labels) or {})
            annotations = changes.get("annotations", token.annotations) or {}
            check_metadata(labels, annotations, "labels")
            updated = replace(updated, meta=token_meta(labels, annotations))
        if "ttl" in changes and changes["ttl"] != token.ttl_requested:
            updated = replace(updated, **self._new_ttl(actor, token, changes["ttl"]))
        return updated

    def _new_ttl(self, actor: Principal, token: Token, requested: int) -> dict[str, int]:
        if token.kind in SYSTEM_KINDS:
            if requested != 0:
                raise invalid_field("ttl", requested, f"is fixed at 0 for {token.kind} tokens")
            return {"ttl_requested": 0}
        effective = policy.clamp_ttl(requested, self.settings.minutes(MAX_TTL))
        if not actor.is_admin and policy.extends_ttl(token.ttl, effective):
            raise invalid_field("ttl", requested, "forbidden to extend time-to-live")
        return {"ttl": effective, "ttl_requested": requested}

    async def delete(
        self, actor: Principal, token_id: str, *, expected_version: int | None = None
    ) -> None:
        token = await self.get(actor, token_id)
        if token.id == actor.token.id and token.kind == "session":
            raise bad_request("Cannot delete token for current session. Use logout instead")
        if expected_version is not None and token.version != expected_version:
            raise _changed(token_id)
        if not await self.store.delete_token(token.id, expected_version):
            if expected_version is not None and await self.store.get_token(token.id):
                raise _changed(token_id)
            raise not_found(f"{token_id} not found")

    async def logout(self, actor: Principal) -> None:
        await self.store.delete_token(actor.token.id)

    async def logout_all(self, actor: Principal) -> int:
        require_unscoped(actor, "log out every session of its user")
        return await self.store.delete_sessions(actor.user.id)

    async def purge(self, now: int, batch: int) -> int:
        return await self.store.purge_expired(now, batch, **self.death_settings())


def _changed(token_id: str) -> ApiError:
    message = f"{token_id} has changed since it was read; read it again"
    return ApiError(412, "PreconditionFailed", message)


def _new_id(kind: str, user_id: str) -> str:
    if kind == "kubeconfig":
        return f"kubeconfig-{user_id}{crypto.new_suffix()}"
    if kind in SYSTEM_KINDS:
        return f"{kind}-{crypto.new_suffix()}"
    return f"token-{crypto.new_suffix()}"


def _own_labels(labels: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if not k.startswith(RESERVED_LABEL_PREFIX)}
