"""`token-shim reset-password`: the way back in when the admin's password is lost.

Works on the database directly, whether or not servers run on it: the new
password is stored and the admin's sessions deleted through the store, whose
writes every running server (replica or worker) sees at once: their row
caches are emptied on another process's commit (SQLite) or NOTIFY (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import sys
import time

from shim import crypto
from shim.audit import AuditLog
from shim.config import Config
from shim.core.users import UserService
from shim.errors import ApiError
from shim.store.factory import display_url, open_store
from shim.store.base import StoreUnavailable

ADMIN = "admin"
NEW_PASSWORD_LENGTH = 20


def reset_password(config: Config) -> int:
    """Print the new password on stdout (once); the rest on stderr. The exit code."""
    try:
        user_id, password, ended = asyncio.run(_reset(config))
    except StoreUnavailable as exc:
        print(f"token-shim reset-password: cannot open the database {display_url(config.db)} "
              f"(option db): {exc}", file=sys.stderr)
        return 1
    except ApiError as err:
        print(f"token-shim reset-password: {err.message} in {display_url(config.db)}",
              file=sys.stderr)
        return 1
    _audit(config, user_id, ended)
    print(f"token-shim: new password for '{ADMIN}' ({user_id}), shown once; "
          f"{ended} session(s) ended", file=sys.stderr, flush=True)
    print(password, flush=True)
    return 0


async def _reset(config: Config) -> tuple[str, str, int]:
    store = open_store(config.db)
    await store.open()
    try:
        password = crypto.random_chars(NEW_PASSWORD_LENGTH)
        user, ended = await UserService(store).reset_password(ADMIN, password)
        return user.id, password, ended
    finally:
        await store.close()


def _audit(config: Config, user_id: str, ended: int) -> None:
    log = AuditLog(config.audit_log)
    log.open()
    try:
        log.write(time.time_ns() // 1_000_000, "user.resetpassword", actor=None, target=user_id,
                  outcome="success", via="token-shim reset-password", sessionsEnded=ended)
    finally:
        log.close()
