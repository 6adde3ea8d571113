"""Token settings: typed parsing, validation, cross rules, pins and a cache."""

from __future__ import annotations

import re
from typing import Any, Mapping

from shim.errors import ApiError
from shim.schemas import Schemas
from shim.settings_catalog import (
    BOOLEAN_SETTINGS,
    IDLE_TTL,
    SESSION_TTL,
    SETTINGS,
    env_name,
)
from shim.store.base import Store

_INTEGER = re.compile(r"^-?[0-9]{1,18}$")


class SettingsService:
    """Reads come from an in-process cache refreshed after every write."""

    def __init__(self, store: Store, schemas: Schemas, pins: Mapping[str, str]) -> None:
        self.store = store
        self.schemas = schemas
        self.pins = dict(pins)
        self._stored: dict[str, str] = {}

    async def refresh(self) -> None:
        self._stored = await self.store.get_settings()

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
        if isinstance(raw, str) and _INTEGER.match(raw):
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
        self, changes: Mapping[str, Any], docs: Mapping[tuple[str, str], str | None] = {}
    ) -> None:
        """Validate every change (None resets), check cross rules, write atomically."""
        unknown = [n for n in changes if n not in SETTINGS]
        if unknown:
            raise ApiError(404, "NotFound", f"setting {unknown[0]} not found")
        for name in changes:
            self.ensure_writable(name)
        values = {n: (None if v is None else self.canonical(n, v)) for n, v in changes.items()}
        self.check_cross_rules(values)
        await self.store.put_settings(values, dict(docs))
        await self.refresh()

    def ensure_writable(self, name: str) -> None:
        if name in self.pins:
            raise ApiError(
                405, "MethodNotAllow",
                f"{name} is readOnly because its value is from environment variable "
                f"({env_name(name)}) or the config file",
            )

    def check_cross_rules(self, values: Mapping[str, str | None]) -> None:
        if IDLE_TTL not in values and SESSION_TTL not in values:
            return
        idle, session = int(self._merged(values, IDLE_TTL)), int(self._merged(values, SESSION_TTL))
        if session == 0 or idle <= session:
            return
        changed = IDLE_TTL if IDLE_TTL in values else SESSION_TTL
        rule = (
            f"{IDLE_TTL} ({idle}) can't be greater than {SESSION_TTL} ({session}); "
            "change both together (a token policy) or in an order that keeps idle <= session"
        )
        raise ApiError(
            422, "InvalidBodyContent", f"setting {changed}: value {_show(values[changed])} invalid: {rule}",
            [{"field": changed, "value": values[changed], "rule": rule}],
        )

    def _merged(self, values: Mapping[str, str | None], name: str) -> str:
        if name not in values:
            return self.value(name)
        return values[name] or SETTINGS[name]


def _show(value: Any) -> str:
    return '"' + value + '"' if isinstance(value, str) else repr(value)
