"""A bounded in-process copy of (token, user) rows, read on every authenticated request.

The backend owns it and keeps it exact: it empties it on every write it
commits, on every change another connection commits (SQLite) or signals
(PostgreSQL), and refreshes a token in place when only its use times change.
Records are treated as immutable, so the copies are handed out as they are.
"""

from __future__ import annotations

from dataclasses import replace

from shim.store.base import Token, User

MAX_ROWS = 4096  # ~2 KB a row: a few MB at most, whatever the size of the store


class RowCache:
    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self._rows: dict[str, tuple[Token, User]] = {}

    def get(self, token_id: str) -> tuple[Token, User] | None:
        return self._rows.get(token_id)

    def put(self, token_id: str, row: tuple[Token, User]) -> None:
        rows = self._rows
        if len(rows) >= self.max_rows and token_id not in rows:
            del rows[next(iter(rows))]  # the oldest entry: cheap, and good enough for a hot set
        rows[token_id] = row

    def clear(self) -> None:
        self._rows.clear()

    def touched(self, token_id: str, now: int, activity: bool) -> None:
        """The store wrote `now` as the token's last use (and activity, for sessions)."""
        row = self._rows.get(token_id)
        if row is None:
            return
        token, user = row
        changes = {"last_used": now, "last_activity": now} if activity else {"last_used": now}
        self._rows[token_id] = (replace(token, **changes), user)

    def __len__(self) -> int:
        return len(self._rows)
