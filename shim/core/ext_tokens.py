"""Ext tokens (`tokens.ext.cattle.io`): Rancher 2.13's rules on the shared token store.

An ext token is a row of the same `tokens` table with kind `ext`, so hashing, purge,
metrics, deletion with its user and authentication are the ones every token has.
What only the kube face knows (spec.kind, labels, annotations, lastUpdateTime) is
kept as JSON in the row's `meta` column, where v3 tokens keep their labels and
annotations. Ext secrets are always hashed (SHA3-512, as Rancher does), whatever
`token-hashing` says.

TTLs here are Rancher's `spec.ttl`: milliseconds, negative = never expires. The row
keeps it in `ttl_requested`; its `ttl` is the core form (0 = never).
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, replace
from typing import Callable

from shim import crypto
from shim.core.limits import TokenCap, check_metadata
from shim.core.principal import Principal
from shim.core.settings import SettingsService
from shim.errors import ApiError, bad_request, forbidden
from shim.settings_catalog import MAX_TTL
from shim.store.base import Conflict, Store, Token, TokenQuery

EXT = "ext"
BEARER_PREFIX = "ext/"
RESOURCE = "tokens.ext.cattle.io"
USER_LABEL = "cattle.io/user-id"
KIND_LABEL = "authn.management.cattle.io/kind"
SYSTEM_LABELS = (USER_LABEL, KIND_LABEL, "cattle.io/kind")
MINUTE_MS = 60_000
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_RETRIES = 10
_PAGE = 1000
_COUNTED = 100_000  # remainingItemCount is left out beyond this many


@dataclass(frozen=True, slots=True)
class Meta:
    """What the kube face keeps beside the row."""

    kind: str = ""  # spec.kind: "session" or anything else (derived)
    labels: dict | None = None
    annotations: dict | None = None
    updated: int = 0  # status.lastUpdateTime

    def dump(self) -> str:
        return json.dumps({"kind": self.kind, "labels": self.labels or {},
                           "annotations": self.annotations or {}, "updated": self.updated},
                          sort_keys=True)


def meta_of(token: Token) -> Meta:
    raw = json.loads(token.meta or "{}")
    return Meta(raw.get("kind", ""), raw.get("labels") or {}, raw.get("annotations") or {},
                raw.get("updated", token.created))


@dataclass(frozen=True, slots=True)
class Desired:
    """A Token object as a client wants it (after its patch): only what the rules read."""

    name: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    labels: dict | None = None
    annotations: dict | None = None
    user_id: str | None = None
    kind: str | None = None
    principal_name: str | None = None
    description: str | None = None
    ttl: int | None = None
    enabled: bool | None = None
    cluster: str | None = None


def clamp(requested: int | None, max_minutes: int) -> int:
    """Rancher's clampMaxTTL (spec.ttl in, spec.ttl out; negative = never)."""
    cap = max_minutes * MINUTE_MS
    ttl = requested or 0
    if cap <= 0:
        return -1 if ttl == 0 else ttl
    return cap if ttl <= 0 or ttl > cap else ttl


def extends(old: int, new: int) -> bool:
    """Rancher's ttlGreater: does `new` outlive `old` (negative = forever)?"""
    if old < 0:
        return False
    return new < 0 or new > old


def core_ttl(spec_ttl: int) -> int:
    return 0 if spec_ttl < 0 else spec_ttl


def principal_name(user_id: str) -> str:
    return f"local://{user_id}"


def not_found(name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{RESOURCE} "{name}" not found')


def changed(name: str) -> ApiError:
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {RESOURCE} "{name}": the '
                    "object has been modified; please apply your changes to the latest version "
                    "and try again")


@dataclass(frozen=True, slots=True)
class NewExtToken:
    token: Token
    value: str  # empty on a dry run

    @property
    def bearer(self) -> str:
        return f"{BEARER_PREFIX}{self.token.id}:{self.value}" if self.value else ""


class ExtTokenService:
    def __init__(self, store: Store, settings: SettingsService, clusters,
                 cap: TokenCap | None = None) -> None:
        self.cap = cap
        self.store = store
        self.settings = settings
        self.clusters = frozenset(clusters)

    def _max(self) -> int:
        return self.settings.minutes(MAX_TTL)

    async def create(self, actor: Principal, want: Desired, now: int, *,
                     dry_run: bool = False) -> NewExtToken:
        """Rancher's create checks in order; a given metadata.name is kept (declarative
        tokens: a manifest applied twice makes one token), else `token-xxxxx`."""
        if want.user_id and want.user_id != actor.user.id:
            raise bad_request("unable to create token for other user")
        if want.cluster and want.cluster not in self.clusters:
            raise bad_request(f"cluster {want.cluster} not found")
        if want.name is not None and not _NAME.match(want.name):
            raise ApiError(422, "Invalid", f'metadata.name: Invalid value: "{want.name}": a '
                           "lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                           "characters, '-' or '.'",
                           [{"field": "metadata.name", "value": want.name,
                             "rule": "must be a lowercase RFC 1123 subdomain"}])
        ttl = clamp(want.ttl, self._max())
        meta = Meta(want.kind or "", _user_labels(want.labels), dict(want.annotations or {}), now)
        await self._within_caps(actor.user.id, meta, now)
        secret = crypto.new_secret()
        for _ in range(_RETRIES):
            token = Token(
                id=want.name or f"token-{crypto.new_suffix()}", user_id=actor.user.id, kind=EXT,
                secret=crypto.hash_secret_sha3(secret), description=want.description or "",
                ttl=core_ttl(ttl), ttl_requested=ttl, created=now,
                enabled=want.enabled is not False, is_derived=meta.kind != "session",
                cluster_id=want.cluster or "", uuid=crypto.new_uuid(), meta=meta.dump(),
            )
            if dry_run:
                return NewExtToken(token, "")
            try:
                await self.store.insert_token(token)
                return NewExtToken(token, secret)
            except Conflict:
                if want.name:
                    raise ApiError(409, "AlreadyExists",
                                   f'{RESOURCE} "{want.name}" already exists') from None
        raise ApiError(503, "ServiceUnavailable", "could not allocate a token name; try again")

    async def _within_caps(self, user_id: str, meta: Meta, now: int) -> None:
        check_metadata(meta.labels, meta.annotations)
        if self.cap is not None:
            await self.cap.check(user_id, now)

    async def get(self, actor: Principal, name: str) -> Token:
        token = await self.store.get_token(name)
        if token is None or token.kind != EXT or not actor.may_see(token.user_id):
            raise not_found(name)  # never 403: another user's token does not exist for you
        return token

    async def list(self, actor: Principal, now: int) -> list[Token]:
        """Admins see every ext token, users only their own (the owner filter is ANDed
        with any selector the face applies afterwards: no label can widen it)."""
        found: list[Token] = []
        after = None
        while True:
            page = await self.page(actor, now, after, _PAGE)
            found += page
            if len(page) < _PAGE:
                return found
            after = page[-1].id

    async def page(self, actor: Principal, now: int, after: str | None,
                   size: int) -> list[Token]:
        """Up to `size` of the tokens `list` gives, by name, after `after`."""
        return await self.store.list_tokens(TokenQuery(
            now=now, user_id=_owner_filter(actor), kind=EXT, after=after, limit=size))

    async def count_after(self, actor: Principal, now: int, after: str) -> int | None:
        """How many of the tokens `list` gives come after `after`; None beyond _COUNTED
        (counting more would cost more than the page)."""
        counted = await self.store.count_tokens(TokenQuery(
            now=now, user_id=_owner_filter(actor), kind=EXT, after=after, limit=_COUNTED))
        return None if counted >= _COUNTED else counted

    async def update(self, actor: Principal, name: str, now: int,
                     desire: Callable[[Token], Desired], *, dry_run: bool = False) -> Token:
        """Apply what `desire(stored token)` asks under Rancher's update rules, decided on
        the stored row and written only if it is still that version (compare-and-swap).
        Nothing changed: the stored token, unbumped."""

        def change(token: Token) -> Token:
            if token.kind != EXT or not actor.may_see(token.user_id):
                raise not_found(name)
            return self._changed(token, desire(token), now)

        if dry_run:
            return change(await self.get(actor, name))
        return await self._swap(name, change)

    async def _swap(self, name: str, change: Callable[[Token], Token]) -> Token:
        """`change` is computed outside any transaction (a patch may take a while: no write
        lock is held meanwhile), then written only if the row is still the version it was
        computed from; a few retries on a race, then 409."""
        for attempt in range(_RETRIES):
            token = await self.store.get_token(name)
            if token is None:
                raise not_found(name)
            new = change(token)
            if new == token:
                return token
            try:
                return await self.store.update_token(new)
            except Conflict:
                await asyncio.sleep(0.005 * attempt)  # lets a stale row cache look again
        raise changed(name)

    def _changed(self, token: Token, want: Desired, now: int) -> Token:
        meta = meta_of(token)
        if want.name is not None and want.name != token.id:
            raise bad_request(f"the name of the object ({want.name}) does not match the name "
                              f"on the URL ({token.id})")
        if want.resource_version is not None and want.resource_version != str(token.version):
            raise changed(token.id)
        for field, given, stored in (
            ("meta.UID", want.uid, token.uuid), ("spec.userID", want.user_id, token.user_id),
            ("spec.kind", want.kind, meta.kind),
            ("spec.userprincipal", want.principal_name, principal_name(token.user_id)),
            ("spec.clusterName", want.cluster, token.cluster_id),
        ):
            if given is not None and given != stored:
                raise bad_request(f"{field} is immutable")
        ttl = token.ttl_requested
        if want.ttl is not None:
            ttl = clamp(want.ttl, self._max())
            if extends(token.ttl_requested, ttl):
                raise bad_request("forbidden to extend time-to-live")
        new_meta = replace(meta, labels=_user_labels(want.labels) if want.labels is not None
                           else meta.labels,
                           annotations=dict(want.annotations) if want.annotations is not None
                           else meta.annotations)
        updated = replace(
            token, ttl=core_ttl(ttl), ttl_requested=ttl,
            description=token.description if want.description is None else want.description,
            enabled=token.enabled if want.enabled is None else want.enabled,
        )
        if updated == token and new_meta == meta:
            return token
        check_metadata(new_meta.labels, new_meta.annotations)
        return replace(updated, meta=replace(new_meta, updated=now).dump())

    async def delete(self, actor: Principal, name: str, *, dry_run: bool = False) -> Token:
        """Deleting the token of the request itself is allowed, as in Rancher."""
        token = await self.get(actor, name)
        if not dry_run and not await self.store.delete_token(token.id):
            raise not_found(name)
        return token

    async def delete_collection(self, actor: Principal, tokens: list[Token], *,
                                dry_run: bool = False) -> list[Token]:
        if not actor.is_admin:
            raise forbidden(f'{RESOURCE} is forbidden: User "{actor.user.username}" cannot '
                            'deletecollection resource '
                            '"tokens" in API group "ext.cattle.io" at the cluster scope')
        if dry_run:
            return tokens
        return [t for t in tokens if await self.store.delete_token(t.id)]


def _owner_filter(actor: Principal) -> str | None:
    return None if actor.is_admin else actor.user.id


def _user_labels(labels: dict | None) -> dict:
    """User labels; the system ones are recomputed on every write and cannot be forged."""
    return {k: v for k, v in (labels or {}).items() if k not in SYSTEM_LABELS}


def labels_of(token: Token, meta: Meta | None = None) -> dict:
    meta = meta or meta_of(token)
    return {**(meta.labels or {}), USER_LABEL: token.user_id, KIND_LABEL: meta.kind}
