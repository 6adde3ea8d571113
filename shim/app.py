"""The application factory: the store, the core and both faces, wired once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import time
from typing import AsyncIterator, Callable

from aiohttp import web

from shim import audit, crypto, headers, replay, unparsed
from shim.caches import keep_fresh
from shim.client_certs import CLIENT_CERTS, ClientCerts
from shim.config import Config, where
from shim.core.auth import Authenticator
from shim.core.ext_tokens import ExtTokenService
from shim.core.features import FeatureService
from shim.core.limits import TokenCap
from shim.core.settings import SettingsService
from shim.core.tokens import TokenService
from shim.core.users import UserService
from shim.faces import dashboard
from shim.faces.web import face as web_face
from shim.faces.v3 import table
from shim.faces.v3.norman import Catalog
from shim.feed import ChangeFeed, bump_on_write, close_on_shutdown
from shim.keys import CATALOG, CLOCK, CONFIG, CORE, FEED, SCHEMAS, Core
from shim.metrics import METRICS, Metrics, share_forever
from shim.options import password_length
from shim.middlewares import IN_FLIGHT, InFlight, front_door
from shim.origin import ORIGIN, Origin
from shim.purge import purge_forever
from shim.routes import add_routes
from shim.schemas import Schemas
from shim.errors import ApiError
from shim.store.factory import display_url, open_store
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
    metrics = Metrics(worker or 0, config.workers, config.metrics_dir)
    in_flight = InFlight(config.max_in_flight)
    door = front_door(in_flight, metrics, config.body_timeout,
                      screen=web_face.screen, finish=web_face.finish)  # CSRF, HTML for browsers
    app = web.Application(middlewares=[door], client_max_size=config.max_body_bytes)
    app[IN_FLIGHT] = in_flight
    app.on_response_prepare.append(headers.guard)  # no header may cost a response
    adjust_servers(app, unparsed.install,  # aiohttp's own 400 would quote the request's bytes
                   functools.partial(replay.install, app=app))  # a repeated token read
    schemas = Schemas()
    store = store or open_store(config.db, workers=config.workers,
                                pool_size=config.db_pool_size)
    settings = SettingsService(store, schemas, config.pinned_settings)
    features = FeatureService(store, config.token_hashing_default)
    cap = TokenCap(store, config.max_tokens_per_user)
    app[CONFIG] = config
    app[SCHEMAS] = schemas
    app[CATALOG] = Catalog(table.OPERATIONS, table.EMBEDDED_TYPES, schemas.documents)
    app[CLOCK] = clock
    app[CORE] = Core(
        store=store, settings=settings, features=features, users=UserService(store),
        tokens=TokenService(store, settings, features, config.clusters, cap=cap),
        auth=Authenticator(store, settings),
        ext_tokens=ExtTokenService(store, settings, config.clusters, cap=cap),
    )
    app[METRICS] = metrics
    app[ORIGIN] = Origin(config)
    app[FEED] = feed = ChangeFeed()
    app.on_response_prepare.append(bump_on_write(feed))
    app.on_shutdown.append(close_on_shutdown(feed))
    store.add_row_listener(feed.bump)
    app[THROTTLE] = LoginThrottle(config, store)
    app[CLIENT_CERTS] = ClientCerts.of(config)
    audit.setup(app)
    add_routes(app)
    app.cleanup_ctx.append(functools.partial(_lifecycle, worker=worker))
    return app


def adjust_servers(app: web.Application, *adjustments: Callable[[web.Server], None]) -> None:
    """Run `adjustments` on every server built from `app` (the `serve` runner, each of
    `--workers`, the tests' servers). aiohttp builds them in `Application._make_handler`
    and offers no other hook, so that one method is wrapped, once."""
    make_handler = app._make_handler

    def make_server(**kwargs) -> web.Server:
        server = make_handler(**kwargs)
        for adjust in adjustments:
            adjust(server)
        return server

    app._make_handler = make_server


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
                           f"({where(config, 'db')})") from None
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
        sharer = asyncio.create_task(share_forever(app[METRICS])) \
            if config.metrics_dir else None
        # The first token count starts now: at ten million tokens it takes seconds.
        await app[METRICS].count_tokens(core.store, clock(), core.tokens.death_settings(),
                                        wait=False)
        yield
        app[METRICS].tokens.stop()
        for task in (keeper, purger, sharer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
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
    """`admin` on an empty store. A given password is checked only then: one that will
    be ignored (the store has users) must not stop a restart for being short."""
    given = config.bootstrap_password
    if given and not await core.store.count_users():
        _check_bootstrap_password(given, where(config, "bootstrap_password"))
    password = given or crypto.random_chars(20)
    if await core.users.bootstrap(password, now):
        if not given:
            _say(f"created user 'admin' with password {password} (shown once)")
    elif given:
        _say(f"the bootstrap password ({where(config, 'bootstrap_password')}) is ignored: the "
             "database already has users, so 'admin' keeps the password it has (lost it? "
             "token-shim reset-password)")


def _check_bootstrap_password(password: str, option: str) -> None:
    try:
        password_length(password)
    except ValueError as exc:
        raise StartupError(f"the bootstrap password {exc} ({option})") from None


def _say(line: str) -> None:
    print(f"token-shim: {line}", file=sys.stderr, flush=True)
