"""Pure token rules. Times are epoch milliseconds; TTLs are milliseconds.

Nothing here reads a clock or a store: callers pass `now` and the settings.
"""

from __future__ import annotations

import functools
import time

MINUTE_MS = 60_000
NEVER = 0  # a ttl of 0 means "never expires" where it is not clamped


def clamp_ttl(ttl_ms: int, max_minutes: int) -> int:
    """Rancher's ClampToMaxTTL: no cap when max is 0, 0 becomes max, else min."""
    max_ms = max_minutes * MINUTE_MS
    if max_ms == 0:
        return ttl_ms
    if ttl_ms == NEVER:
        return max_ms
    return min(ttl_ms, max_ms)


def expires_ms(created_ms: int, ttl_ms: int) -> int | None:
    return None if ttl_ms == NEVER else created_ms + ttl_ms


def is_expired(created_ms: int, ttl_ms: int, now_ms: int) -> bool:
    return ttl_ms != NEVER and now_ms >= created_ms + ttl_ms


def session_ttl(token_ttl_ms: int, session_minutes: int) -> int:
    """A session lives the shorter of its own ttl and the current session setting."""
    current = session_minutes * MINUTE_MS
    if current == 0:
        return token_ttl_ms
    if token_ttl_ms == NEVER:
        return current
    return min(token_ttl_ms, current)


def effective_idle_minutes(idle_minutes: int, session_minutes: int) -> int:
    if session_minutes == 0:
        return idle_minutes
    return min(idle_minutes, session_minutes)


def is_idle_expired(last_activity_ms: int | None, idle_minutes: int, now_ms: int) -> bool:
    """Rancher's IsIdleExpired: unset activity or an idle of 0 never expires."""
    if last_activity_ms is None or idle_minutes == 0:
        return False
    return now_ms > last_activity_ms + idle_minutes * MINUTE_MS


def extends_ttl(old_ttl_ms: int, new_ttl_ms: int) -> bool:
    """True when new_ttl lives longer than old_ttl; a ttl of 0 lives forever."""
    if new_ttl_ms == old_ttl_ms:
        return False
    if new_ttl_ms == NEVER:
        return True
    if old_ttl_ms == NEVER:
        return False
    return new_ttl_ms > old_ttl_ms


TOUCH_EVERY_MS = 1000


def should_touch(last_used_ms: int | None, now_ms: int) -> bool:
    """lastUsedAt is written at most once per TOUCH_EVERY_MS per token."""
    return now_ms >= touch_due(last_used_ms, now_ms)


def touch_due(last_used_ms: int | None, now_ms: int) -> int:
    """When a use of the token next writes lastUsedAt: `now_ms` if it was never used."""
    return now_ms if last_used_ms is None else last_used_ms + TOUCH_EVERY_MS


def rfc3339(ms: int | None) -> str:
    if ms is None:
        return ""
    return _rfc3339_seconds(ms // 1000)


@functools.lru_cache(maxsize=65536)
def _rfc3339_seconds(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def cluster_allows(cluster_id: str, path: str) -> bool:
    """A cluster-scoped token works only under that cluster's paths."""
    if not cluster_id:
        return True
    for prefix in (f"/v3/clusters/{cluster_id}", f"/k8s/clusters/{cluster_id}"):
        if path == prefix or path.startswith(prefix + "/"):
            return True
    return False


def is_kube_root_path(path: str) -> bool:
    """The kube face served at the server root for the first cluster (ext.cattle.io as
    Rancher serves the local cluster's API there; what an API aggregator proxies)."""
    return path == "/apis" or path.startswith(("/apis/", "/openapi/v2", "/openapi/v3"))


def cluster_scope_allows(token_cluster: str, cluster_id: str) -> bool:
    """A token unscoped, or scoped to `cluster_id`, may act on that cluster (TokenReview)."""
    return not token_cluster or token_cluster == cluster_id


# What a user who must change their password may do until they have: (method, path, action).
BEFORE_PASSWORD_CHANGE = frozenset({
    ("POST", "/v3/users", "changepassword"),
    ("POST", "/v3/tokens", "logout"),
    ("POST", "/v1/logout", None),
})


def allowed_before_password_change(method: str, path: str, action: str | None) -> bool:
    return (method, path.rstrip("/"), action) in BEFORE_PASSWORD_CHANGE


def derived_ttl(ttl_ms: int, now_ms: int, parent_expires_ms: int | None) -> int:
    """A token made by a token never outlives it: `ttl_ms` (0 = never) cut to end no
    later than `parent_expires_ms` (None = the parent never expires)."""
    if parent_expires_ms is None:
        return ttl_ms
    left = max(parent_expires_ms - now_ms, 1)
    return left if ttl_ms == NEVER else min(ttl_ms, left)


def renewal_reason(
    enabled: bool, created_ms: int, ttl_ms: int, renew_before_ms: int, now_ms: int
) -> str | None:
    """Why a token that opted into renewal must be replaced now, or None."""
    if not enabled:
        return "disabled"
    if is_expired(created_ms, ttl_ms, now_ms):
        return "expired"
    if ttl_ms != NEVER and now_ms >= created_ms + ttl_ms - renew_before_ms:
        return "window"
    return None


def renew_before_problem(ttl_ms: int, renew_before_ms: int) -> str | None:
    """Why a renewal window can never converge, or None: a window as long as the token's
    (effective) life makes it due from its first read, so every apply replaces it."""
    if ttl_ms == NEVER or renew_before_ms < ttl_ms:
        return None
    return (f"must be less than the token's effective ttl ({ttl_ms} ms, after clamping by "
            "auth-token-max-ttl-minutes); otherwise the token is due for renewal as soon as "
            "it is created")
