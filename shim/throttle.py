"""Login throttling: exponential backoff per username and per client address.

Each key keeps a failure score that forgets one failure every `decay` seconds.
An attempt is *reserved* (counted as a failure) before the password is checked,
in one step with the check that the key is not blocked, so concurrent guesses
cannot all slip past: the attempt that brings a key to `burst` failures blocks
it for `base` seconds, each later one for twice as long as the one before,
never longer than `cap`. So at most `burst` attempts are checked, whatever the
concurrency, and then one per block. A refused (429) attempt is not counted,
so hammering cannot extend a block: it ends at most `cap` seconds after the
last counted attempt. An attempt that did not fail (success, or an error that
is not a wrong password) gives its reservation back; a success also clears
the username's score, and the address it came from is then exempt from that
username's block (its own address block still applies), so an attacker
elsewhere cannot keep the user out.

Addresses are counted by network where one holder has many: an IPv6 client by
its /64 (one host's usual allocation), every loopback address as one. Beside the
scores, a process runs at most `login_concurrent_checks` password checks at once
(scrypt is the CPU's): more get a fast 429 before anything is counted, except a
user coming back from an address they logged in from before.

The scores live in the store (`change_throttle`: the `login_throttle` table
of PostgreSQL, or of the SQLite file), so all replicas or workers together
allow one burst; the exemption of known addresses stays per process. Without
a store (the policy on its own, as the unit tests drive it) they live here.
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import AsyncIterator, Callable

from aiohttp import web

from shim.config import Config
from shim.errors import ApiError
from shim.keys import CLOCK
from shim.store.base import Attempts, Store

MAX_KEYS = 10_000  # in memory; the least recently counted key is forgotten first
Change = Callable[[dict[str, Attempts]], tuple[dict[str, Attempts | None], object]]


class Backoff:
    """The arithmetic of one key's score; pure, with time passed in."""

    def __init__(self, burst: int, base: float, cap: float, decay: float) -> None:
        self.burst, self.base_ms, self.cap_ms = max(burst, 1), base * 1000, cap * 1000
        self.decay_ms = max(decay * 1000, 1)

    def wait_ms(self, score: Attempts | None, now: int) -> int:
        return max(0, score.until - now) if score else 0

    def counted(self, score: Attempts | None, now: int) -> Attempts:
        """The score with one more failure (or reserved attempt) at `now`."""
        failures = self._decayed(score, now) + 1
        until = score.until if score else 0
        past = math.ceil(failures) - self.burst
        if past >= 0:
            until = max(until, now + int(min(self.base_ms * 2 ** min(past, 40), self.cap_ms)))
        return Attempts(failures, now, until, self._forget(failures, now, until))

    def refunded(self, score: Attempts, reserved: Attempts, before: Attempts | None) -> Attempts:
        """`score` without the attempt that turned `before` into `reserved`.

        The block that attempt started is lifted unless a later attempt replaced it.
        """
        until = score.until
        if until == reserved.until and until != (before.until if before else 0):
            until = before.until if before else 0
        failures = max(0.0, score.failures - 1)
        return replace(score, failures=failures, until=until,
                       forget=self._forget(failures, score.at, until))

    def _decayed(self, score: Attempts | None, now: int) -> float:
        if score is None:
            return 0.0
        return max(0.0, score.failures - max(0, now - score.at) / self.decay_ms)

    def _forget(self, failures: float, at: int, until: int) -> int:
        """When the score means nothing any more (no block, every failure forgotten)."""
        return max(until, at + int(math.ceil(failures) * self.decay_ms))


@dataclass
class Reservation:
    """An attempt counted on its keys: what to give back if it did not fail."""

    username: str
    address: str
    before: dict[str, Attempts | None] = field(default_factory=dict)
    after: dict[str, Attempts] = field(default_factory=dict)


class MemoryScores:
    """Scores of this process only: a throttle without a store."""

    def __init__(self) -> None:
        self._scores: OrderedDict[str, Attempts] = OrderedDict()

    async def change(self, keys: list[str], change: Change):
        new, result = change({k: self._scores[k] for k in keys if k in self._scores})
        for key, score in new.items():
            self._scores.pop(key, None)
            if score is not None:
                self._scores[key] = score
        while len(self._scores) > MAX_KEYS:
            self._scores.popitem(last=False)
        return result


class StoreScores:
    """Scores in the store, read and written in one transaction with the rows locked."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def change(self, keys: list[str], change: Change):
        return await self.store.change_throttle(sorted(keys), change)


def _user_key(username: str) -> str:
    return f"user:{username}"


def _address_key(address: str) -> str:
    return f"addr:{address}"


class LoginThrottle:
    """Backoff by username and by client address; see the module docstring."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        args = (config.login_throttle_base, config.login_throttle_max, config.login_throttle_decay)
        self.users = Backoff(config.login_throttle_user_burst, *args)
        self.addresses = Backoff(config.login_throttle_ip_burst, *args)
        self.scores = StoreScores(store) if store is not None else MemoryScores()
        self._trusted: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.max_checking, self.checking = config.login_concurrent_checks, 0

    def busy(self, username: str, address: str) -> bool:
        """Whether a new password check must wait: the process runs its maximum already,
        and this is not a user coming back from an address they logged in from."""
        return self.checking >= self.max_checking and (username, address) not in self._trusted

    async def reserve(self, username: str, address: str, now: int,
                      exempt_known: bool = True) -> Reservation | int:
        """Count this attempt on both keys, or the seconds to wait (nothing counted)."""
        exempt = exempt_known and (username, address) in self._trusted
        keys = {_user_key(username): self.users, _address_key(address): self.addresses}

        def change(scores: dict[str, Attempts]):
            waits = [b.wait_ms(scores.get(k), now) for k, b in keys.items()
                     if not (exempt and b is self.users)]
            if max(waits):
                return {}, math.ceil(max(waits) / 1000)
            after = {k: b.counted(scores.get(k), now) for k, b in keys.items()}
            return after, Reservation(username, address, {k: scores.get(k) for k in keys}, after)

        return await self.scores.change(list(keys), change)

    async def settle(self, reservation: Reservation, outcome: str) -> None:
        """"failed": the attempt stays counted; "succeeded" or "void": it is given back."""
        if outcome == "failed":
            return
        user_key = _user_key(reservation.username)
        keys = {user_key: self.users, _address_key(reservation.address): self.addresses}

        def change(scores: dict[str, Attempts]):
            new: dict[str, Attempts | None] = {}
            for key, backoff in keys.items():
                if key == user_key and outcome == "succeeded":
                    new[key] = None  # a success clears the username's score
                elif key in scores:
                    new[key] = backoff.refunded(scores[key], reservation.after[key],
                                                reservation.before[key])
            return new, None

        await self.scores.change(list(keys), change)
        if outcome == "succeeded":
            self._trust(reservation.username, reservation.address)

    def _trust(self, username: str, address: str) -> None:
        self._trusted.pop((username, address), None)
        self._trusted[(username, address)] = None
        if len(self._trusted) > MAX_KEYS:
            self._trusted.popitem(last=False)


THROTTLE = web.AppKey("login_throttle", LoginThrottle)


def client_address(request: web.Request) -> str:
    return address_key(request.remote or "unknown")


def address_key(remote: str) -> str:
    """The network one client holds: an IPv6 /64, an IPv4 address, all of loopback."""
    try:
        ip = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return remote
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@asynccontextmanager
async def password_attempt(request: web.Request, username: str, failure: int = 401,
                           exempt_known: bool = True) -> AsyncIterator[None]:
    """Reserve the attempt (429 while throttled); an ApiError `failure` keeps it counted.

    `exempt_known=False` holds back even an address the user logged in from
    (changepassword: the caller already holds a session, maybe a stolen one).
    """
    throttle, now, address = request.app[THROTTLE], request.app[CLOCK](), client_address(request)
    if throttle.busy(username, address):
        raise ApiError(429, "TooManyRequests", "too many logins at once; retry in 1 second",
                       headers={"Retry-After": "1"}, reason="busy")
    throttle.checking += 1
    try:
        async with _reserved(throttle, username, address, now, exempt_known, failure):
            yield
    finally:
        throttle.checking -= 1


@asynccontextmanager
async def _reserved(throttle: LoginThrottle, username: str, address: str, now: int,
                    exempt_known: bool, failure: int) -> AsyncIterator[None]:
    reserved = await throttle.reserve(username, address, now, exempt_known)
    if not isinstance(reserved, Reservation):
        raise ApiError(429, "TooManyRequests",
                       f"too many failed logins; retry in {reserved} seconds",
                       headers={"Retry-After": str(reserved)}, reason="throttled")
    outcome = "void"
    try:
        yield
        outcome = "succeeded"
    except ApiError as err:
        outcome = "failed" if err.status == failure else "void"
        raise
    finally:
        await throttle.settle(reserved, outcome)
