"""Token settings: typed parsing, validation, cross rules, pins and a cache."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Mapping

from shim.errors import ApiError, brief
from shim.schemas import Schemas
from shim.settings_catalog import (
    BOOLEAN_SETTINGS,
    IDLE_TTL,
    SESSION_TTL,
    SETTINGS,
    env_name,
)
from shim.store.base import Conflict, Store

_INTEGER = re.compile(r"-?[0-9]{1,18}")
# What kind of write is refused, for a message that fits it (see cross_rule_text).
V3_SETTING_WRITE = "v3 setting"  # one setting as Rancher's webhook sees it (v3, kube objects)
SETTING_WRITE = "setting"  # one setting on the Terraform face
POLICY_WRITE = "token policy"  # both values in one document


def cross_rule_text(how: str, changed: str, idle: int, session: int) -> str:
    """Why idle > session is refused, and what to do, worded for the kind of write."""
    if how == POLICY_WRITE:
        return (f"{IDLE_TTL} ({idle}) must be less than or equal to {SESSION_TTL} ({session}), "
                "or session 0 (no limit), in one token policy")
    other = SESSION_TTL if changed == IDLE_TTL else IDLE_TTL
    first = f"change {other} first"
    if how == V3_SETTING_WRITE:  # Rancher's webhook wording, then the way out
        return (f"Forbidden: can't be greater than {SESSION_TTL} ({session}); {first}, or set "
                "both at once with a token policy on the Terraform face "
                "(/terraform/v1/token-policies/default)")
    return (f"{IDLE_TTL} ({idle}) can't be greater than {SESSION_TTL} ({session}); {first}, "
            "or set both at once in the token policy (/terraform/v1/token-policies/default)")


class SettingsService:
    """Reads come from an in-process cache refreshed after every write (see shim.caches)."""

    def __init__(self, store: Store, schemas: Schemas, pins: Mapping[str, str]) -> None:
        self.store = store
        self.schemas = schemas
        self.pins = dict(pins)
        self._stored: dict[str, str] = {}
        self._versions: dict[str, int] = {}
        self.generation = 0  # moves on whenever a value read here changes
        self._refreshing = asyncio.Lock()  # one read at a time: never an older one last

    async def refresh(self) -> None:
        async with self._refreshing:
            rows = await self.store.get_setting_rows()
            stored = {name: value for name, (value, _) in rows.items() if value is not None}
            if stored != self._stored:
                self._stored, self.generation = stored, self.generation + 1
            self._versions = {name: version for name, (_, version) in rows.items()}

    def version(self, name: str) -> int:
        """The stored version as of the last refresh; 0 when never stored."""
        return self._versions.get(name, 0)

    def validate_pins(self) -> None:
        for name, raw in self.pins.items():
            self.canonical(name, raw)

    def value(self, name: str) -> str:
        if name in self.pins:
            return self.pins[name]
        return self._stored.get(name, SETTINGS[name])

    def minutes(self, name: str) -> int:
        return int(self.value(name))

    def flag(self, name: str) -> bool:
        return self.value(name) == "true"

    def source(self, name: str) -> str:
        if name in self.pins:
            return "env"
        return "db" if name in self._stored else "default"

    def stored(self, name: str) -> bool:
        return name in self._stored and name not in self.pins

    def typed(self, name: str, raw: Any) -> Any:
        """The value as the setting's JSON type, or `raw` unchanged when it is not one."""
        if name in BOOLEAN_SETTINGS:
            return {"true": True, "false": False}.get(raw, raw) if isinstance(raw, str) else raw
        if isinstance(raw, str) and _INTEGER.fullmatch(raw):
            return int(raw)
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        return raw

    def canonical(self, name: str, raw: Any) -> str:
        """Validate against schemas/settings/<name>.json; return the stored string."""
        value = self.typed(name, raw)
        try:
            self.schemas.validate(f"settings/{name}", value)
        except ApiError as err:
            rule = err.details[0]["rule"]
            raise ApiError(
                422, "InvalidBodyContent", f"setting {name}: value {_show(raw)} {rule}",
                [{"field": name, "value": raw, "rule": rule}],
            ) from None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    async def apply(
        self, changes: Mapping[str, Any], docs: Mapping[tuple[str, str], str | None] = {},
        expected: Mapping[str, int] | None = None, how: str = SETTING_WRITE,
    ) -> None:
        """Validate every change (None resets), write atomically; 412 when a version in
        `expected` is stale. Cross rules are checked on the committed values, inside the
        write, so concurrent writers (on any replica) cannot break them together.
        `how` (a *_WRITE constant) picks the wording of a cross-rule refusal and, for a
        write as Rancher's webhook sees it (V3_SETTING_WRITE), that only a write of the idle
        TTL is checked against the session TTL: lowering the session TTL below the idle TTL
        is accepted, and authentication uses min(idle, session)."""
        unknown = [n for n in changes if n not in SETTINGS]
        if unknown:
            raise ApiError(404, "NotFound", f"setting {unknown[0]} not found")
        for name in changes:
            self.ensure_writable(name)
        values = {n: (None if v is None else self.canonical(n, v)) for n, v in changes.items()}
        try:
            await self.store.put_settings(
                values, dict(docs), expected=expected,
                check=lambda current: self.check_cross_rules(values, current, how),
            )
        except Conflict:
            raise ApiError(412, "PreconditionFailed",
                           f"{', '.join(expected or changes)} changed since it was read; "
                           "read it again") from None
        finally:
            await self.refresh()

    def preview(self, changes: Mapping[str, Any], how: str = SETTING_WRITE) -> dict[str, str | None]:
        """The stored values `apply(changes)` would write, checked as it checks them, for a
        dry run (the cross rules on the cached values)."""
        for name in changes:
            self.ensure_writable(name)
        values = {n: (None if v is None else self.canonical(n, v)) for n, v in changes.items()}
        self.check_cross_rules(values, how=how)
        return values

    def ensure_writable(self, name: str) -> None:
        if name in self.pins:
            raise ApiError(
                405, "MethodNotAllow",
                f"{name} is readOnly because its value is from environment variable "
                f"({env_name(name)}) or the config file",
            )

    def check_cross_rules(
        self, values: Mapping[str, str | None], stored: Mapping[str, str] | None = None,
        how: str = SETTING_WRITE,
    ) -> None:
        """Idle <= session after `values` are applied to `stored` (default: the cache).

        A reset of the idle TTL (None) always passes, as Rancher's webhook lets an empty
        value through: authentication uses min(idle, session) anyway."""
        if IDLE_TTL in values and values[IDLE_TTL] is None:
            return
        session_may_undercut_idle = how == V3_SETTING_WRITE
        if IDLE_TTL not in values and (session_may_undercut_idle or SESSION_TTL not in values):
            return
        idle = int(self._merged(values, IDLE_TTL, stored))
        session = int(self._merged(values, SESSION_TTL, stored))
        if session == 0 or idle <= session:
            return
        changed = IDLE_TTL if IDLE_TTL in values else SESSION_TTL
        rule = cross_rule_text(how, changed, idle, session)
        raise ApiError(
            422, "InvalidBodyContent", f"setting {changed}: value {_show(values[changed])} invalid: {rule}",
            [{"field": changed, "value": values[changed], "rule": rule}],
        )

    def _merged(
        self, values: Mapping[str, str | None], name: str, stored: Mapping[str, str] | None
    ) -> str:
        if name in values:
            return values[name] or SETTINGS[name]
        if stored is None or name in self.pins:
            return self.value(name)
        return stored.get(name, SETTINGS[name])


def _show(value: Any) -> str:
    return brief(value) if isinstance(value, str) else repr(value)
