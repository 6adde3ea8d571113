"""The application factory: the store, the core and both faces, wired once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import time
from typing import AsyncIterator, Callable

from aiohttp import web

from shim import audit, crypto
from shim.caches import keep_fresh
from shim.config import Config
from shim.core.auth import Authenticator
from shim.core.ext_tokens import ExtTokenService
from shim.core.features import FeatureService
from shim.core.settings import SettingsService
from shim.core.tokens import TokenService
from shim.core.users import UserService
from shim.faces import dashboard
from shim.faces import web as web_face
from shim.faces.v3 import table
from shim.faces.v3.norman import Catalog
from shim.feed import ChangeFeed, bump_on_write, close_on_shutdown
from shim.keys import CATALOG, CLOCK, CONFIG, CORE, FEED, SCHEMAS, Core
from shim.metrics import METRICS, Metrics
from shim.middlewares import front_door
from shim.purge import purge_forever
from shim.routes import add_routes
from shim.schemas import Schemas
from shim.errors import ApiError
from shim.store import display_url, open_store
from shim.store.base import Store, StoreUnavailable
from shim.throttle import THROTTLE, LoginThrottle


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def create_app(
    config: Config, *, store: Store | None = None, clock: Callable[[], int] = wall_clock_ms,
    worker: int | None = None,
) -> web.Application:
    """`worker`: this process's index under `serve --workers` (None: the only process).
    A worker leaves the admin to the parent's `start_once`, and only worker 0 purges."""
    metrics = Metrics(worker or 0, config.workers)
    door = front_door(config.max_in_flight, metrics, config.body_timeout,
                      screen=web_face.screen, finish=web_face.finish)  # CSRF, HTML for browsers
    app = web.Application(middlewares=[door], client_max_size=config.max_body_bytes)
    schemas = Schemas()
    store = store or open_store(config.db, workers=config.workers)
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
        ext_tokens=ExtTokenService(store, settings, config.clusters),
    )
    app[METRICS] = metrics
    app[FEED] = feed = ChangeFeed()
    app.on_response_prepare.append(bump_on_write(feed))
    app.on_shutdown.append(close_on_shutdown(feed))
    store.add_row_listener(feed.bump)
    app[THROTTLE] = LoginThrottle(config, store)
    audit.setup(app)
    add_routes(app)
    app.cleanup_ctx.append(functools.partial(_lifecycle, worker=worker))
    return app


async def start_once(config: Config) -> None:
    """What `serve --workers N` does once, in the parent, before forking the workers:
    a whole start-up (migrations, pins checked, token hashing finished, `admin`
    created), then a stop. StartupError as `serve`."""
    runner = web.AppRunner(create_app(config), handle_signals=False)
    await runner.setup()
    await runner.cleanup()


class StartupError(Exception):
    """The server cannot start; the message (one line) names the cause and the option."""


async def _lifecycle(app: web.Application, worker: int | None) -> AsyncIterator[None]:
    core, config, clock = app[CORE], app[CONFIG], app[CLOCK]
    unbuilt = config.dashboard_dir and dashboard.check(config.dashboard_dir)
    if unbuilt:
        raise StartupError(f"dashboard_dir (--dashboard-dir, TOKEN_SHIM_DASHBOARD_DIR): {unbuilt}")
    try:
        await core.store.open()
    except StoreUnavailable as exc:
        raise StartupError(f"cannot open the database {display_url(config.db)}: {exc} "
                           f"(option db: --db, TOKEN_SHIM_DB)") from None
    try:
        _validate_pins(core)
        await core.settings.refresh()
        await core.features.start()
        if worker is None:
            await _bootstrap(core, config, clock())
        purger = asyncio.create_task(purge_forever(
            core.tokens, clock, config.purge_interval, config.purge_batch, _on_purge(app)
        )) if worker in (None, 0) else None
        keeper = asyncio.create_task(keep_fresh(
            core.store, {"settings": core.settings, "features": core.features,
                         "feed": app[FEED]},
            config.cache_refresh_interval,
        ))
        yield
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        if purger is not None:
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


def _validate_pins(core: Core) -> None:
    try:
        core.settings.validate_pins()
    except ApiError as err:
        raise StartupError(f"pinned {err.message}") from None


async def _bootstrap(core: Core, config: Config, now: int) -> None:
    password = config.bootstrap_password or crypto.random_chars(20)
    if await core.users.bootstrap(password, now):
        if not config.bootstrap_password:
            _say(f"created user 'admin' with password {password} (shown once)")
    elif config.bootstrap_password:
        _say("bootstrap_password (--bootstrap-password, TOKEN_SHIM_BOOTSTRAP_PASSWORD) ignored: "
             "the database already has users, so 'admin' keeps the password it has")


def _say(line: str) -> None:
    print(f"token-shim: {line}", file=sys.stderr, flush=True)
