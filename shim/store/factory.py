"""Persistence: one interface, one module per backend, chosen by URL scheme."""

from __future__ import annotations

import os
import urllib.parse

from shim.store.base import Store


def open_store(url: str, *, workers: int = 1, pool_size: int = 10) -> Store:
    """A store for `sqlite:///path` (or `sqlite://:memory:`) or `postgresql://...`.

    `workers`: processes of this server on the store (`serve --workers`); with more
    than one, a SQLite store watches the others' commits (see SqliteStore.watch).
    `pool_size`: the most connections a PostgreSQL store opens for queries.
    """
    if url.startswith("sqlite:"):
        from shim.store.sqlite import SqliteStore

        return SqliteStore(sqlite_path(url), watch_others=workers > 1)
    if url.startswith(("postgres://", "postgresql://")):
        from shim.store.postgres import PostgresStore

        return PostgresStore(url, max_size=pool_size)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")


def sqlite_path(url: str) -> str:
    rest = url.removeprefix("sqlite:").removeprefix("//")
    if rest in ("", ":memory:", "/:memory:"):
        return ":memory:"
    return rest.removeprefix("/") if rest.startswith("/./") else rest


def display_url(url: str) -> str:
    """The database URL as a user can check it: a SQLite URL with the file it names, any
    other without its password (nor its query string, which may hold one)."""
    if url.startswith("sqlite:"):
        path = sqlite_path(url)
        return url if path == ":memory:" else f"{url}, file {os.path.abspath(_one_root(path))}"
    parts = urllib.parse.urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    hosts = parts.netloc.rpartition("@")[2]  # host:port, or libpq's h1:p1,h2:p2
    return f"{parts.scheme}://{user}{hosts}{parts.path}"


def _one_root(path: str) -> str:
    return "/" + path.lstrip("/") if path.startswith("/") else path  # "//x" is "/x" here
