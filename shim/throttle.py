"""Login throttling: exponential backoff per username and per client address.

Each key keeps a failure score that forgets one failure every `decay` seconds.
Past `burst` failures, a failure blocks the key for `base * 2**n` seconds
(n = failures past the burst, minus one), never longer than `cap`. A refused
(429) attempt is not a failure, so hammering cannot extend a block: it ends at
most `cap` seconds after the last counted failure. A successful login clears
the username's score, and the address it came from is then exempt from that
username's block (its own address block still applies), so an attacker
elsewhere cannot keep the user out.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from aiohttp import web

from shim.config import Config
from shim.errors import ApiError
from shim.keys import CLOCK

MAX_KEYS = 10_000  # per table; the least recently failed key is forgotten first


@dataclass
class _Score:
    failures: float
    at: int  # ms of the last update
    until: int = 0  # ms: blocked until


class Backoff:
    def __init__(self, burst: int, base: float, cap: float, decay: float) -> None:
        self.burst, self.base_ms, self.cap_ms = burst, base * 1000, cap * 1000
        self.decay_ms = max(decay * 1000, 1)
        self._scores: OrderedDict[str, _Score] = OrderedDict()

    def wait_ms(self, key: str, now: int) -> int:
        score = self._scores.get(key)
        return max(0, score.until - now) if score else 0

    def fail(self, key: str, now: int) -> None:
        score = self._scores.pop(key, None) or _Score(0.0, now)
        score.failures = max(0.0, score.failures - (now - score.at) / self.decay_ms) + 1
        score.at = now
        past = math.ceil(score.failures) - self.burst
        if past > 0:
            score.until = now + int(min(self.base_ms * 2 ** min(past - 1, 40), self.cap_ms))
        self._scores[key] = score
        if len(self._scores) > MAX_KEYS:
            self._scores.popitem(last=False)

    def clear(self, key: str) -> None:
        self._scores.pop(key, None)


class LoginThrottle:
    """Backoff by username and by client address; see the module docstring."""

    def __init__(self, config: Config) -> None:
        args = (config.login_throttle_base, config.login_throttle_max, config.login_throttle_decay)
        self.users = Backoff(config.login_throttle_user_burst, *args)
        self.addresses = Backoff(config.login_throttle_ip_burst, *args)
        self._trusted: OrderedDict[tuple[str, str], None] = OrderedDict()

    def retry_after(self, username: str, address: str, now: int, exempt_known: bool = True) -> int:
        """Seconds to wait before this attempt may be checked; 0 when it may."""
        wait = self.addresses.wait_ms(address, now)
        if not (exempt_known and (username, address) in self._trusted):
            wait = max(wait, self.users.wait_ms(username, now))
        return math.ceil(wait / 1000)

    def failed(self, username: str, address: str, now: int) -> None:
        self.users.fail(username, now)
        self.addresses.fail(address, now)

    def succeeded(self, username: str, address: str) -> None:
        self.users.clear(username)
        self._trusted.pop((username, address), None)
        self._trusted[(username, address)] = None
        if len(self._trusted) > MAX_KEYS:
            self._trusted.popitem(last=False)


THROTTLE = web.AppKey("login_throttle", LoginThrottle)


def client_address(request: web.Request) -> str:
    return request.remote or "unknown"


@contextmanager
def password_attempt(request: web.Request, username: str, failure: int = 401,
                     exempt_known: bool = True) -> Iterator[None]:
    """Refuse with 429 while throttled; count an ApiError with status `failure`.

    `exempt_known=False` holds back even an address the user logged in from
    (changepassword: the caller already holds a session, maybe a stolen one).
    """
    throttle, now = request.app[THROTTLE], request.app[CLOCK]()
    address = client_address(request)
    wait = throttle.retry_after(username, address, now, exempt_known)
    if wait:
        raise ApiError(429, "TooManyRequests",
                       f"too many failed logins; retry in {wait} seconds",
                       headers={"Retry-After": str(wait)}, reason="throttled")
    try:
        yield
    except ApiError as err:
        if err.status == failure:
            throttle.failed(username, address, now)
        raise
    throttle.succeeded(username, address)
