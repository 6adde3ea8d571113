"""Feature flags; only `token-hashing` exists. Once on, it is locked on."""

from __future__ import annotations

import asyncio

from shim import crypto
from shim.errors import ApiError
from shim.store.base import Store

TOKEN_HASHING = "token-hashing"
DESCRIPTIONS = {TOKEN_HASHING: "Store token secrets as salted one-way hashes"}


class FeatureService:
    def __init__(self, store: Store, hashing_default: bool) -> None:
        self.store = store
        self.defaults = {TOKEN_HASHING: hashing_default}
        self._stored: dict[str, bool] = {}
        self.generation = 0  # moves on whenever a value read here changes
        self._refreshing = asyncio.Lock()  # one read at a time: never an older one last

    async def refresh(self) -> None:
        async with self._refreshing:
            stored = await self.store.get_features()
            if stored != self._stored:
                self._stored, self.generation = stored, self.generation + 1

    async def start(self) -> None:
        """Hash what is still plain when hashing is on (by default, or a rewrite was cut short)."""
        await self.refresh()
        if not self.value(TOKEN_HASHING):
            return
        if not self._stored.get(TOKEN_HASHING) or await self.store.has_plain_secrets():
            await self.store.enable_token_hashing(crypto.hash_secret)  # or finish it
            await self.refresh()

    def names(self) -> list[str]:
        return sorted(self.defaults)

    def value(self, name: str) -> bool:
        return self._stored.get(name, self.defaults[name])

    def stored(self, name: str) -> bool | None:
        return self._stored.get(name)

    def locked(self, name: str) -> bool:
        return name == TOKEN_HASHING and self.value(name)

    @property
    def hashing(self) -> bool:
        return self.value(TOKEN_HASHING)

    async def set(self, name: str, value: bool | None) -> None:
        if name not in self.defaults:
            raise ApiError(404, "NotFound", f"feature {name} not found")
        effective = self.defaults[name] if value is None else value
        if self.locked(name):
            if not effective:
                raise ApiError(422, "InvalidBodyContent", f"{name} is locked")
            if await self.store.has_plain_secrets():  # a rewrite was cut short: finish it
                await self.store.enable_token_hashing(crypto.hash_secret)
            return
        if effective:
            await self.store.enable_token_hashing(crypto.hash_secret)
        else:
            await self.store.set_feature(name, value)
        await self.refresh()
