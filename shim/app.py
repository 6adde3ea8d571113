"""The application factory: the store, the core and both faces, wired once."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import AsyncIterator, Callable

from aiohttp import web

from shim import audit, crypto
from shim.caches import keep_fresh
from shim.config import Config
from shim.core.auth import Authenticator
from shim.core.features import FeatureService
from shim.core.settings import SettingsService
from shim.core.tokens import TokenService
from shim.core.users import UserService
from shim.faces import web as web_face
from shim.faces.v3 import table
from shim.faces.v3.norman import Catalog
from shim.keys import CATALOG, CLOCK, CONFIG, CORE, SCHEMAS, Core
from shim.metrics import METRICS, Metrics
from shim.middlewares import front_door
from shim.purge import purge_forever
from shim.routes import add_routes
from shim.schemas import Schemas
from shim.store import open_store
from shim.store.base import Store
from shim.throttle import THROTTLE, LoginThrottle


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def create_app(
    config: Config, *, store: Store | None = None, clock: Callable[[], int] = wall_clock_ms
) -> web.Application:
    metrics = Metrics()
    app = web.Application(middlewares=[web_face.middleware,  # HTML and CSRF for browsers
                                       front_door(config.max_in_flight, metrics)],
                          client_max_size=config.max_body_bytes)
    schemas = Schemas()
    store = store or open_store(config.db)
    settings = SettingsService(store, schemas, config.pinned_settings)
    features = FeatureService(store, config.token_hashing_default)
    app[CONFIG] = config
    app[SCHEMAS] = schemas
    app[CATALOG] = Catalog(table.OPERATIONS, table.EMBEDDED_TYPES, schemas.documents)
    app[CLOCK] = clock
    app[CORE] = Core(
        store=store, settings=settings, features=features, users=UserService(store),
        tokens=TokenService(store, settings, features, config.clusters),
        auth=Authenticator(store, settings),
    )
    app[METRICS] = metrics
    app[THROTTLE] = LoginThrottle(config)
    audit.setup(app)
    add_routes(app)
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    core, config, clock = app[CORE], app[CONFIG], app[CLOCK]
    await core.store.open()
    try:
        core.settings.validate_pins()
        await core.settings.refresh()
        await core.features.start()
        await _bootstrap(core, config, clock())
        purger = asyncio.create_task(purge_forever(
            core.tokens, clock, config.purge_interval, config.purge_batch, _on_purge(app)
        ))
        keeper = asyncio.create_task(keep_fresh(
            core.store, {"settings": core.settings, "features": core.features},
            config.cache_refresh_interval,
        ))
        yield
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        purger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purger
    finally:
        await core.store.close()


def _on_purge(app: web.Application) -> Callable[[int], None]:
    def record(purged: int) -> None:
        app[METRICS].purge_ran(purged)
        app[audit.AUDIT].write(app[CLOCK](), "token.purge", actor=None, target=None,
                               outcome="success", count=purged)

    return record


async def _bootstrap(core: Core, config: Config, now: int) -> None:
    password = config.bootstrap_password or crypto.random_chars(20)
    if await core.users.bootstrap(password, now) and not config.bootstrap_password:
        print(f"token-shim: created user 'admin' with password {password} (shown once)",
              file=sys.stderr, flush=True)
