"""SQL written once for every backend (`?` placeholders), and row mapping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from shim import resources
from shim.store.base import Conflict, Token, TokenQuery, User

USER_COLUMNS = (
    "id, username, name, role, enabled, password_hash, created, version, tf_doc,"
    " must_change_password"
)
TOKEN_COLUMNS = (
    "id, user_id, kind, secret, description, ttl, ttl_requested, created, enabled,"
    " is_derived, cluster_id, auth_provider, last_used, last_activity, uuid, version, tf_doc,"
    " expired_at, meta"
)
_TOKEN_N = TOKEN_COLUMNS.count(",") + 1
_T = ", ".join(f"t.{c.strip()}" for c in TOKEN_COLUMNS.split(","))
_U = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))

INSERT_USER = f"INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
SELECT_USER = f"SELECT {USER_COLUMNS} FROM users WHERE id = ?"
SELECT_USER_BY_NAME = f"SELECT {USER_COLUMNS} FROM users WHERE username = ?"
SELECT_USERS = f"SELECT {USER_COLUMNS} FROM users ORDER BY id"
COUNT_USERS = "SELECT count(*) FROM users"
UPDATE_USER = (
    "UPDATE users SET username = ?, name = ?, role = ?, enabled = ?, password_hash = ?,"
    " version = version + 1, tf_doc = ?, must_change_password = ? WHERE id = ? AND version = ?"
)
DELETE_USER = "DELETE FROM users WHERE id = ?"

INSERT_TOKEN = (
    f"INSERT INTO tokens ({TOKEN_COLUMNS}, expires) VALUES ({', '.join(['?'] * (_TOKEN_N + 1))})"
)
SELECT_TOKEN = f"SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?"
SELECT_TOKEN_AND_USER = (
    f"SELECT {_T}, {_U} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?"
)
UPDATE_TOKEN = (
    "UPDATE tokens SET description = ?, ttl = ?, ttl_requested = ?, expires = ?, enabled = ?,"
    " secret = ?, version = version + 1, tf_doc = ?, meta = ? WHERE id = ? AND version = ?"
)
DELETE_TOKEN = "DELETE FROM tokens WHERE id = ?"
DELETE_TOKEN_AT = "DELETE FROM tokens WHERE id = ? AND version = ?"
DELETE_SESSIONS = "DELETE FROM tokens WHERE user_id = ? AND kind = 'session'"
TOUCH_TOKEN = "UPDATE tokens SET last_used = ? WHERE id = ?"
TOUCH_SESSION = "UPDATE tokens SET last_used = ?, last_activity = ? WHERE id = ?"
EXPIRE_TOKEN = (
    "UPDATE tokens SET expired_at = ?, version = version + 1 WHERE id = ? AND expired_at IS NULL"
)
# Batches of plain secrets in id order (the primary key): each batch starts where the last ended.
SELECT_PLAIN_SECRETS = (
    "SELECT id, secret FROM tokens WHERE id > ? AND secret NOT LIKE '$%' ORDER BY id LIMIT ?"
)
ANY_PLAIN_SECRET = "SELECT 1 FROM tokens WHERE secret NOT LIKE '$%' LIMIT 1"
# Bumps the version: a writer that read the plain secret must not write it back.
UPDATE_SECRET = "UPDATE tokens SET secret = ?, version = version + 1 WHERE id = ?"

SELECT_SETTINGS = "SELECT name, value FROM settings WHERE value IS NOT NULL"
SELECT_SETTING_ROWS = "SELECT name, value, version FROM settings"
UPSERT_SETTING = (
    "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name)"
    " DO UPDATE SET value = excluded.value, version = settings.version + 1"
)
# A reset keeps the row (value NULL) so that its version keeps counting.
DELETE_SETTING = (
    "UPDATE settings SET value = NULL, version = version + 1 WHERE name = ? AND value IS NOT NULL"
)
SELECT_FEATURES = "SELECT name, value FROM features"
SELECT_HASHING = "SELECT value FROM features WHERE name = 'token-hashing'"
UPSERT_FEATURE = (
    "INSERT INTO features (name, value) VALUES (?, ?) ON CONFLICT (name)"
    " DO UPDATE SET value = excluded.value"
)
DELETE_FEATURE = "DELETE FROM features WHERE name = ?"
SELECT_DOC = "SELECT doc FROM tf_docs WHERE kind = ? AND id = ?"
SELECT_DOCS = "SELECT id, doc FROM tf_docs WHERE kind = ?"
UPSERT_DOC = (
    "INSERT INTO tf_docs (kind, id, doc) VALUES (?, ?, ?) ON CONFLICT (kind, id)"
    " DO UPDATE SET doc = excluded.doc"
)
DELETE_DOC = "DELETE FROM tf_docs WHERE kind = ? AND id = ?"

# Login throttle: PostgreSQL locks rows (`= ANY` takes an array); SQLite upserts (below).
INSERT_THROTTLE_KEYS = (
    "INSERT INTO login_throttle (key, failures, at, until, forget)"
    " SELECT k, 0, 0, 0, 0 FROM unnest(?::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING"
)
LOCK_THROTTLE = (
    "SELECT key, failures, at, until, forget FROM login_throttle WHERE key = ANY(?::text[])"
    " ORDER BY key FOR UPDATE"
)
UPDATE_THROTTLE = (
    "UPDATE login_throttle SET failures = ?, at = ?, until = ?, forget = ? WHERE key = ?"
)
DELETE_THROTTLE = "DELETE FROM login_throttle WHERE key = ?"
FORGET_THROTTLE = "DELETE FROM login_throttle WHERE forget < ?"
# SQLite: the transaction (BEGIN IMMEDIATE) holds the only write lock, so no row locks.
UPSERT_THROTTLE = (
    "INSERT INTO login_throttle (key, failures, at, until, forget) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, at = excluded.at,"
    " until = excluded.until, forget = excluded.forget"
)


def select_throttle(keys: int) -> str:
    """SQLite: the scores of `keys` keys (no arrays there)."""
    marks = ", ".join("?" * keys)
    return f"SELECT key, failures, at, until, forget FROM login_throttle WHERE key IN ({marks})"


def migrations() -> list[tuple[int, str]]:
    """(version, sql) for every numbered file in migrations/, in order."""
    found = []
    for file in resources.migration_files():
        found.append((int(file.name.split("_", 1)[0]), file.read_text(encoding="utf-8")))
    return found


def user_params(u: User) -> tuple:
    return (u.id, u.username, u.name, u.role, u.enabled, u.password_hash, u.created, u.version,
            u.tf_doc, u.must_change_password)


def token_params(t: Token) -> tuple:
    return (
        t.id, t.user_id, t.kind, t.secret, t.description, t.ttl, t.ttl_requested, t.created,
        t.enabled, t.is_derived, t.cluster_id, t.auth_provider, t.last_used, t.last_activity,
        t.uuid, t.version, t.tf_doc, t.expired_at, t.meta, t.expires,
    )


def update_token_params(t: Token) -> tuple:
    return (
        t.description, t.ttl, t.ttl_requested, t.expires, t.enabled, t.secret, t.tf_doc,
        t.meta, t.id, t.version,
    )


def update_user_params(u: User) -> tuple:
    return (u.username, u.name, u.role, u.enabled, u.password_hash, u.tf_doc,
            u.must_change_password, u.id, u.version)


def user_from(row) -> User:
    r = tuple(row)
    return User(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7], r[8], bool(r[9]))


def token_from(row) -> Token:
    r = tuple(row)
    return Token(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), bool(r[9]),
        r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[17], r[18] or "",
    )


@dataclass(frozen=True)
class Row:
    """How a change_* write reads, decodes and writes back one kind of row."""

    select: str
    decode: Callable[[Any], Any]
    update: str
    params: Callable[[Any], tuple]


USER_ROW = Row(SELECT_USER, user_from, UPDATE_USER, update_user_params)
TOKEN_ROW = Row(SELECT_TOKEN, token_from, UPDATE_TOKEN, update_token_params)


def token_and_user_from(row) -> tuple[Token, User]:
    r = tuple(row)
    return token_from(r[:_TOKEN_N]), user_from(r[_TOKEN_N:])


def list_tokens(q: TokenQuery) -> tuple[str, list]:
    """The SELECT for a TokenQuery; every filter uses an index or a cheap predicate."""
    clause, params = _token_filters(q)
    params.append(q.limit)
    return f"SELECT {TOKEN_COLUMNS} FROM tokens{clause} ORDER BY id LIMIT ?", params


def count_tokens(q: TokenQuery) -> tuple[str, list]:
    """Up to q.limit matching tokens counted (`after` applies, as in list_tokens)."""
    clause, params = _token_filters(q)
    params.append(q.limit)
    return f"SELECT count(*) FROM (SELECT 1 FROM tokens{clause} LIMIT ?) AS found", params


def _token_filters(q: TokenQuery) -> tuple[str, list]:
    where, params = [], []

    def add(clause: str, *values) -> None:
        where.append(clause)
        params.extend(values)

    if q.user_id is not None:
        add("user_id = ?", q.user_id)
    if q.description is not None:
        add("description = ?", q.description)
    if q.ttl is not None:
        add("ttl = ?", q.ttl)
    if q.kind is not None:
        add("kind = ?", q.kind)
    if q.not_kind is not None:
        add("kind <> ?", q.not_kind)
    if q.enabled is not None:
        add("enabled = ?", q.enabled)
    if q.cluster_id is not None:
        add("cluster_id = ?", q.cluster_id)
    if q.expired is not None:
        dead, values = expired(q.now, q.session_ms, q.idle_ms)
        add(dead if q.expired else f"NOT {dead}", *values)
    if q.after is not None:
        add("id > ?", q.after)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return clause, params


def deaths(now: int, session_ms: int, idle_ms: int) -> list[tuple[str, list]]:
    """Each way a token is dead at `now` as authentication judges it, as a SQL condition
    an index serves, with its parameters: its own ttl; a recorded refusal; for sessions,
    the session TTL setting and the idle timeout (0: not applied)."""
    found = [("expires IS NOT NULL AND expires <= ?", [now]), ("expired_at IS NOT NULL", [])]
    if session_ms:
        found.append(("kind = 'session' AND created <= ?", [now - session_ms]))
    if idle_ms:
        found.append(("kind = 'session' AND last_activity IS NOT NULL AND last_activity < ?",
                      [now - idle_ms]))
    return found


def expired(now: int, session_ms: int, idle_ms: int) -> tuple[str, list]:
    """One condition: the token is dead at `now` (see deaths)."""
    found = deaths(now, session_ms, idle_ms)
    return f"({' OR '.join(f'({c})' for c, _ in found)})", [v for _, vs in found for v in vs]


def purge_expired(now: int, session_ms: int, idle_ms: int) -> list[tuple[str, list]]:
    """One DELETE per way of dying, each of up to `?` (appended by the caller: what is left
    of the batch) tokens that one index finds. Not a UNION of them under one LIMIT: a
    UNION collects every dead id first (SQLite's temp b-tree, PostgreSQL's hash), so
    each batch would cost as much as all the dead tokens together."""
    return [(f"DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE {c} LIMIT ?)", vs)
            for c, vs in deaths(now, session_ms, idle_ms)]


def count_tokens_by_kind(now: int, session_ms: int, idle_ms: int) -> tuple[str, list]:
    dead, values = expired(now, session_ms, idle_ms)
    return f"SELECT kind, {dead}, count(*) FROM tokens GROUP BY 1, 2", values


def is_plain(secret: str) -> bool:
    """Not a `$n:...` hash (the same test as SELECT_PLAIN_SECRETS)."""
    return not secret.startswith("$")


def setting_rows(rows) -> dict[str, tuple[str | None, int]]:
    return {r[0]: (r[1], r[2]) for r in rows}


def guard_settings(rows, expected, check) -> None:
    """Inside a settings write, on the committed rows: Conflict on a stale version, then check."""
    current = setting_rows(rows)
    stale = [n for n, v in (expected or {}).items() if current.get(n, (None, 0))[1] != v]
    if stale:
        raise Conflict(f"{', '.join(stale)} changed concurrently")
    if check is not None:
        check({name: value for name, (value, _) in current.items() if value is not None})


def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2, ...`."""
    parts = sql.split("?")
    out = [parts[0]]
    for i, part in enumerate(parts[1:], start=1):
        out.append(f"${i}{part}")
    return "".join(out)
