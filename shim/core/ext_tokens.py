"""Ext tokens (`tokens.ext.cattle.io`): Rancher 2.13's rules on the shared token store.

An ext token is a row of the same `tokens` table with kind `ext`, so hashing, purge,
metrics, deletion with its user and authentication are the ones every token has.
What only the kube face knows (spec.kind, labels, annotations, lastUpdateTime) is
kept as JSON in the row's `meta` column, where v3 tokens keep their labels and
annotations. Ext secrets are always hashed (SHA3-512, as Rancher does), whatever
`token-hashing` says.

TTLs here are Rancher's `spec.ttl`: milliseconds, negative = never expires. The row
keeps it in `ttl_requested`; its `ttl` is the core form (0 = never).

Names are per user: the row's id is `<user id>:<name>` (a user id has no `:`, a name
cannot), so two users may both own `ci`, and no name tells anyone about another user's
tokens. A reader addresses their own token by its name, another user's (admins only) as
`<user id>:<name>`, the form `address` renders. Rows made before names were per user
keep their bare name as id (a legacy row): found by name for their owner only.
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
from shim.core.scope import Scope, scope_of
from shim.core.settings import SettingsService
from shim.errors import ApiError, bad_request, forbidden
from shim.settings_catalog import MAX_TTL, SESSION_TTL
from shim.store.base import Conflict, Store, Token, TokenQuery

EXT = "ext"
BEARER_PREFIX = "ext/"
RESOURCE = "tokens.ext.cattle.io"
USER_LABEL = "cattle.io/user-id"
KIND_LABEL = "authn.management.cattle.io/kind"
SYSTEM_LABELS = (USER_LABEL, KIND_LABEL, "cattle.io/kind")
MINUTE_MS = 60_000
_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")  # fullmatch only
OWNER_SEP = ":"
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


def stored_id(user_id: str, name: str) -> str:
    return f"{user_id}{OWNER_SEP}{name}"


def name_of(token: Token) -> str:
    """The token's name in its owner's namespace."""
    return token.id.partition(OWNER_SEP)[2] or token.id


def address(token: Token, reader_id: str) -> str:
    """How `reader_id` names the token: its name when theirs, else `<owner>:<name>`."""
    name = name_of(token)
    return name if token.user_id == reader_id else stored_id(token.user_id, name)


def parse_address(given: str, reader_id: str) -> tuple[str, str]:
    """(owner, name) of an address; a bare name is the reader's own."""
    owner, sep, name = given.rpartition(OWNER_SEP)
    return (owner, name) if sep else (reader_id, given)


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ApiError(422, "Invalid", f'metadata.name: Invalid value: "{name}": a lowercase '
                       "RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                       "'-' or '.', and must start and end with an alphanumeric character",
                       [{"field": "metadata.name", "value": name,
                         "rule": "must be a lowercase RFC 1123 subdomain"}])


def split_bearer(credential: str) -> tuple[str, str, bool]:
    """(token id, secret, is ext) of `<id>:<secret>`: the id ends at the first `:`, for
    an ext bearer at the one after its owner (`ext/<user id>:<name>:<secret>`; a legacy
    `ext/<name>:<secret>` has none)."""
    if not credential.startswith(BEARER_PREFIX):
        token_id, _, secret = credential.partition(":")
        return token_id, secret, False
    parts = credential.removeprefix(BEARER_PREFIX).split(OWNER_SEP, 2)
    if len(parts) == 3:
        return stored_id(parts[0], parts[1]), parts[2], True
    return parts[0], parts[1] if len(parts) == 2 else "", True


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

    def scope(self, actor: Principal) -> Scope:
        return scope_of(actor, self.settings.minutes(SESSION_TTL))

    def _visible(self, actor: Principal, token: Token) -> bool:
        return (token.kind == EXT and actor.may_see(token.user_id)
                and self.scope(actor).covers(token))

    async def create(self, actor: Principal, want: Desired, now: int, *,
                     dry_run: bool = False) -> NewExtToken:
        """Rancher's create checks in order; a given metadata.name is kept (declarative
        tokens: a manifest applied twice makes one token), else `token-xxxxx`. The name
        is the caller's own: another user's token of that name neither blocks nor shows."""
        if want.user_id and want.user_id != actor.user.id:
            raise bad_request("unable to create token for other user")
        if want.cluster and want.cluster not in self.clusters:
            raise bad_request(f"cluster {want.cluster} not found")
        scope = self.scope(actor)
        cluster = scope.cluster_for(want.cluster or "", "cluster")
        if want.name is not None:
            check_name(want.name)
            if await self._legacy(actor.user.id, want.name):
                raise exists(want.name)
        ttl = self._derived_ttl(scope, clamp(want.ttl, self._max()), now)
        meta = Meta(want.kind or "", _user_labels(want.labels), dict(want.annotations or {}), now)
        await self._within_caps(actor.user.id, meta, now)
        secret = crypto.new_secret()
        for _ in range(_RETRIES):
            name = want.name or f"token-{crypto.new_suffix()}"
            token = Token(
                id=stored_id(actor.user.id, name), user_id=actor.user.id, kind=EXT,
                secret=crypto.hash_secret_sha3(secret), description=want.description or "",
                ttl=core_ttl(ttl), ttl_requested=ttl, created=now,
                enabled=want.enabled is not False, is_derived=meta.kind != "session",
                cluster_id=cluster, uuid=crypto.new_uuid(), meta=meta.dump(),
            )
            if dry_run:
                return NewExtToken(token, "")
            try:
                await self.store.insert_token(token)
                return NewExtToken(token, secret)
            except Conflict:
                if want.name:
                    raise exists(want.name) from None
        raise ApiError(503, "ServiceUnavailable", "could not allocate a token name; try again")

    async def _within_caps(self, user_id: str, meta: Meta, now: int) -> None:
        check_metadata(meta.labels, meta.annotations)
        if self.cap is not None:
            await self.cap.check(user_id, now)

    @staticmethod
    def _derived_ttl(scope: Scope, spec_ttl: int, now: int) -> int:
        """spec.ttl cut to end no later than a scoped caller's own token."""
        capped = scope.ttl_for(core_ttl(spec_ttl), now)
        return spec_ttl if capped == core_ttl(spec_ttl) else capped

    async def _legacy(self, owner: str, name: str) -> Token | None:
        """The owner's token stored under its bare name, before names were per user."""
        token = await self.store.get_token(name)
        if token is None or token.kind != EXT or token.user_id != owner:
            return None
        return token

    async def get(self, actor: Principal, given: str) -> Token:
        """The token `given` addresses (see `address`), if the caller may see it."""
        owner, name = parse_address(given, actor.user.id)
        token = await self.store.get_token(stored_id(owner, name))
        if token is None:
            token = await self._legacy(owner, name)
        if token is None or token.user_id != owner or not self._visible(actor, token):
            raise not_found(given)  # never 403: another user's token does not exist for you
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
        return await self.store.list_tokens(self._query(actor, now, after, size))

    async def count_after(self, actor: Principal, now: int, after: str) -> int | None:
        """How many of the tokens `list` gives come after `after`; None beyond _COUNTED
        (counting more would cost more than the page)."""
        counted = await self.store.count_tokens(self._query(actor, now, after, _COUNTED))
        return None if counted >= _COUNTED else counted

    def _query(self, actor: Principal, now: int, after: str | None, limit: int) -> TokenQuery:
        """The ext tokens `actor` may list, in stored-id order after the token `after`
        addresses: an unscoped admin's are everyone's, anyone else's their own, within
        their cluster scope."""
        scope = self.scope(actor)
        owner = None if actor.is_admin and not scope.cluster else actor.user.id
        if after is not None:
            after = stored_id(*parse_address(after, actor.user.id))
        return TokenQuery(now=now, user_id=owner, kind=EXT, after=after, limit=limit,
                          cluster_id=scope.cluster or None)

    async def update(self, actor: Principal, name: str, now: int,
                     desire: Callable[[Token], Desired], *, dry_run: bool = False) -> Token:
        """Apply what `desire(stored token)` asks under Rancher's update rules, decided on
        the stored row and written only if it is still that version (compare-and-swap).
        Nothing changed: the stored token, unbumped."""

        def change(token: Token) -> Token:
            if not self._visible(actor, token):
                raise not_found(name)
            updated = self._changed(token, desire(token), now, address(token, actor.user.id))
            self.scope(actor).check_change(token, updated)
            return updated

        found = await self.get(actor, name)
        if dry_run:
            return change(found)
        return await self._swap(found.id, name, change)

    async def _swap(self, stored: str, name: str, change: Callable[[Token], Token]) -> Token:
        """`change` is computed outside any transaction (a patch may take a while: no write
        lock is held meanwhile), then written only if the row is still the version it was
        computed from; a few retries on a race, then 409."""
        for attempt in range(_RETRIES):
            token = await self.store.get_token(stored)
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

    def _changed(self, token: Token, want: Desired, now: int, shown: str) -> Token:
        """`shown`: the token's name as the caller addresses it."""
        meta = meta_of(token)
        if want.name is not None and want.name != shown:
            raise bad_request(f"the name of the object ({want.name}) does not match the name "
                              f"on the URL ({shown})")
        if want.resource_version is not None and want.resource_version != str(token.version):
            raise changed(shown)
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

    async def delete_collection(self, actor: Principal, names: list[str], *,
                                dry_run: bool = False) -> list[Token]:
        """`names` as the caller addresses them (a listing's); those gone meanwhile skipped."""
        if not actor.is_admin:
            raise forbidden(f'{RESOURCE} is forbidden: User "{actor.user.username}" cannot '
                            'deletecollection resource '
                            '"tokens" in API group "ext.cattle.io" at the cluster scope')
        tokens = [t for t in [await self._found(actor, n) for n in names] if t is not None]
        if dry_run:
            return tokens
        return [t for t in tokens if await self.store.delete_token(t.id)]

    async def _found(self, actor: Principal, name: str) -> Token | None:
        try:
            return await self.get(actor, name)
        except ApiError:
            return None


def exists(name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{RESOURCE} "{name}" already exists')


def _user_labels(labels: dict | None) -> dict:
    """User labels; the system ones are recomputed on every write and cannot be forged."""
    return {k: v for k, v in (labels or {}).items() if k not in SYSTEM_LABELS}


def labels_of(token: Token, meta: Meta | None = None) -> dict:
    meta = meta or meta_of(token)
    return {**(meta.labels or {}), USER_LABEL: token.user_id, KIND_LABEL: meta.kind}
