"""Persistence: one interface, one module per backend, chosen by URL scheme."""

from __future__ import annotations

from shim.store.base import Store


def open_store(url: str) -> Store:
    """A store for `sqlite:///path` (or `sqlite://:memory:`) or `postgresql://...`."""
    if url.startswith("sqlite:"):
        from shim.store.sqlite import SqliteStore

        return SqliteStore(sqlite_path(url))
    if url.startswith(("postgres://", "postgresql://")):
        from shim.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")


def sqlite_path(url: str) -> str:
    rest = url.removeprefix("sqlite:").removeprefix("//")
    if rest in ("", ":memory:", "/:memory:"):
        return ":memory:"
    return rest.removeprefix("/") if rest.startswith("/./") else rest
