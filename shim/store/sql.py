"""SQL written once for every backend (`?` placeholders), and row mapping."""

from __future__ import annotations

from pathlib import Path

from shim.store.base import Conflict, Token, TokenQuery, User

MIGRATIONS = Path(__file__).parent / "migrations"

USER_COLUMNS = "id, username, name, role, enabled, password_hash, created, version, tf_doc"
TOKEN_COLUMNS = (
    "id, user_id, kind, secret, description, ttl, ttl_requested, created, enabled,"
    " is_derived, cluster_id, auth_provider, last_used, last_activity, uuid, version, tf_doc, meta"
)
_TOKEN_N = TOKEN_COLUMNS.count(",") + 1
_T = ", ".join(f"t.{c.strip()}" for c in TOKEN_COLUMNS.split(","))
_U = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))

INSERT_USER = f"INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
SELECT_USER = f"SELECT {USER_COLUMNS} FROM users WHERE id = ?"
SELECT_USER_BY_NAME = f"SELECT {USER_COLUMNS} FROM users WHERE username = ?"
SELECT_USERS = f"SELECT {USER_COLUMNS} FROM users ORDER BY id"
COUNT_USERS = "SELECT count(*) FROM users"
UPDATE_USER = (
    "UPDATE users SET username = ?, name = ?, role = ?, enabled = ?, password_hash = ?,"
    " version = version + 1, tf_doc = ? WHERE id = ? AND version = ?"
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
PURGE_EXPIRED = (
    "DELETE FROM tokens WHERE id IN"
    " (SELECT id FROM tokens WHERE expires IS NOT NULL AND expires <= ? LIMIT ?)"
)
COUNT_TOKENS_BY_KIND = (
    "SELECT kind, (expires IS NOT NULL AND expires <= ?), count(*) FROM tokens GROUP BY 1, 2"
)
SELECT_PLAIN_SECRETS = "SELECT id, secret FROM tokens WHERE secret NOT LIKE '$%'"
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


def migrations() -> list[tuple[int, str]]:
    """(version, sql) for every numbered file in migrations/, in order."""
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        found.append((int(path.name.split("_", 1)[0]), path.read_text()))
    return found


def user_params(u: User) -> tuple:
    return (u.id, u.username, u.name, u.role, u.enabled, u.password_hash, u.created, u.version, u.tf_doc)


def token_params(t: Token) -> tuple:
    return (
        t.id, t.user_id, t.kind, t.secret, t.description, t.ttl, t.ttl_requested, t.created,
        t.enabled, t.is_derived, t.cluster_id, t.auth_provider, t.last_used, t.last_activity,
        t.uuid, t.version, t.tf_doc, t.meta, t.expires,
    )


def update_token_params(t: Token) -> tuple:
    return (
        t.description, t.ttl, t.ttl_requested, t.expires, t.enabled, t.secret, t.tf_doc,
        t.meta, t.id, t.version,
    )


def update_user_params(u: User) -> tuple:
    return (u.username, u.name, u.role, u.enabled, u.password_hash, u.tf_doc, u.id, u.version)


def user_from(row) -> User:
    r = tuple(row)
    return User(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7], r[8])


def token_from(row) -> Token:
    r = tuple(row)
    return Token(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), bool(r[9]),
        r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[17],
    )


def token_and_user_from(row) -> tuple[Token, User]:
    r = tuple(row)
    return token_from(r[:_TOKEN_N]), user_from(r[_TOKEN_N:])


def list_tokens(q: TokenQuery) -> tuple[str, list]:
    """The SELECT for a TokenQuery; every filter uses an index or a cheap predicate."""
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
    if q.enabled is not None:
        add("enabled = ?", q.enabled)
    if q.cluster_id is not None:
        add("cluster_id = ?", q.cluster_id)
    if q.expired is True:
        add("expires IS NOT NULL AND expires <= ?", q.now)
    if q.expired is False:
        add("(expires IS NULL OR expires > ?)", q.now)
    if q.after is not None:
        add("id > ?", q.after)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    params.append(q.limit)
    return f"SELECT {TOKEN_COLUMNS} FROM tokens{clause} ORDER BY id LIMIT ?", params


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
