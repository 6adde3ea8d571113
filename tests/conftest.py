"""Shared fixtures: a real server on a real socket, with time under the test's control."""

from __future__ import annotations

import dataclasses

import pytest

from shim.app import create_app
from shim.config import Config
from shim.keys import CORE
from tests.missing_tools import pytest_runtest_makereport, pytest_terminal_summary  # noqa: F401
from tests.live import LiveServer
from tests.support import Api, Clock

ADMIN_PASSWORD = "admin-password-1"
START_MS = 1_800_000_000_000


@pytest.fixture
def clock() -> Clock:
    return Clock(START_MS)


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(db=f"sqlite:///{tmp_path}/shim.db", bootstrap_password=ADMIN_PASSWORD)


@pytest.fixture
def make_api(aiohttp_client, clock):
    """Start a server for a config and return an Api logged in as admin."""

    async def make(config: Config, **changes) -> Api:
        app = create_app(dataclasses.replace(config, **changes), clock=clock)
        api = Api(await aiohttp_client(app))
        await api.login_as_admin(ADMIN_PASSWORD)
        return api

    return make


@pytest.fixture
async def api(make_api, config) -> Api:
    return await make_api(config)


@pytest.fixture
def core(api):
    return api.client.server.app[CORE]


@pytest.fixture
def server(tmp_path):
    """A real `token-shim serve` process on a free port; `.admin` is an admin session."""
    live = LiveServer(tmp_path).start()
    live.admin = live.login()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the session; `.create_database()` gives a fresh URL.

    Skips the tests that use it when PostgreSQL is not installed (fails them when CI=true).
    """
    from tests.pg import start_server

    server = start_server()
    yield server
    server.stop()
