"""The store under contract: every test here runs once per backend."""

from __future__ import annotations

import pytest

from shim.store.factory import open_store

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> str:
    """A URL to an empty database of the backend under test."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path}/store.db"
    return request.getfixturevalue("pg_server").create_database()


@pytest.fixture
async def store(store_url):
    opened = open_store(store_url)
    await opened.open()
    yield opened
    await opened.close()
