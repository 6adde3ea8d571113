"""Command line: `serve`, `migrate` and `token` (the kubectl exec credential plugin).

Heavy imports (aiohttp, the config loader) happen inside the commands, so that
`token`, which kubectl runs before every call it makes, starts fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import os
import socket
import sys
from typing import TYPE_CHECKING, Callable

from shim.options import BY_NAME, OPTIONS, Option

if TYPE_CHECKING:
    from shim.config import Config


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(prog="token-shim")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="run the HTTP server", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Every option is also a TOKEN_SHIM_<OPTION> environment variable and a key "
                    "of the --config file;\nflags win over the environment, the environment "
                    "over the file.")
    serve.add_argument("--config", help="YAML config file (keys: the option names below)")
    for option in OPTIONS:
        _add_option(serve, option)
    migrate = commands.add_parser("migrate", help="apply pending schema migrations and exit")
    migrate.add_argument("--config", help="YAML config file")
    _add_option(migrate, BY_NAME["db"])
    token = commands.add_parser(
        "token", help="kubectl exec credential plugin: print an ExecCredential")
    _token_options(token)
    apiservice = commands.add_parser(
        "apiservice", help="print the Service and APIService YAML that put token-shim behind a "
                           "kube-apiserver as an aggregated API server")
    _apiservice_options(apiservice)
    return parser, {"serve": serve, "migrate": migrate, "token": token, "apiservice": apiservice}


def _apiservice_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="localhost",
                        help="where the kube-apiserver reaches token-shim (the ExternalName; "
                             "default localhost)")
    parser.add_argument("--port", type=int, default=8443, help="token-shim's HTTPS port")
    parser.add_argument("--namespace", default="token-shim", help="namespace of the Service")
    parser.add_argument("--service", default="token-shim", help="name of the Service")
    parser.add_argument("--ca-file", dest="ca_file",
                        help="PEM CA of token-shim's serving certificate, for caBundle (without "
                             "it: insecureSkipTLSVerify)")
    parser.add_argument("--group", dest="groups", action="append", default=[],
                        help="only this API group (repeatable; default: ext.cattle.io and "
                             "management.cattle.io)")


def apiservice(args: argparse.Namespace) -> int:
    from shim.apiservice import manifests, read_ca
    from shim.faces.kube.table import RESOURCES

    print(manifests(RESOURCES, host=args.host, port=args.port, namespace=args.namespace,
                    service=args.service, ca_pem=read_ca(args.ca_file),
                    groups=tuple(args.groups)), end="")
    return 0


def _add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """Flags stay text here: shim.config converts them, naming the flag on an error."""
    text = option.help.replace("`", "").replace("%", "%%")
    shown = option.shown().replace("`", "").replace("%", "%%")
    help = f"{text} (default: {shown}; env {option.env})"
    if option.type == "boolean":
        parser.add_argument(option.flag, dest=option.name, action=argparse.BooleanOptionalAction,
                            default=None, help=help)
        return
    metavar = "{" + ",".join(option.choices) + "}" if option.choices else option.type.upper()
    parser.add_argument(option.flag, dest=option.name, metavar=metavar, help=help)


def _token_options(token: argparse.ArgumentParser) -> None:
    token.add_argument("--server", required=True, help="token-shim base URL, e.g. https://host:8443")
    token.add_argument("--user", required=True, help="username to log in as")
    token.add_argument("--cluster", required=True, help="cluster id the token is for")
    token.add_argument("--cache-dir", dest="cache_dir",
                       help="default $TOKEN_SHIM_CACHE_DIR or $XDG_CONFIG_HOME/token-shim")
    token.add_argument("--ca-file", dest="ca_file",
                       help="PEM CA to verify the server (default: kubectl's cluster CA, else system)")


def load(args: argparse.Namespace) -> Config:
    from shim.config import build_config, load_file

    flags = {k: v for k, v in vars(args).items() if k not in ("command", "config")}
    return build_config(load_file(args.config), os.environ, flags)


def serve(config: Config) -> int:
    from shim import logs, tls

    try:
        config = tls.resolve(config)
        context = tls.server_context(config)
    except (OSError, ValueError) as exc:
        print(f"token-shim serve: TLS: {exc}", file=sys.stderr)
        return 2
    logs.configure(config.log_level, config.log_format)
    if config.tls_self_signed:
        print(f"token-shim: self-signed TLS files in {os.path.dirname(config.tls_ca)} "
              "(clients trust ca.pem)", file=sys.stderr, flush=True)
    if config.workers > 1:
        from shim.workers import supervise

        return supervise(config, context)
    line = banner(config, context)
    return run(config, context, ready=lambda: print(line, file=sys.stderr, flush=True))


def banner(config: Config, context, more: str = "") -> str:
    from shim.store import display_url

    scheme = "https" if context else "http"
    return (f"token-shim: serving on {scheme}://{config.host}:{config.port} "
            f"({display_url(config.db)}){more}")


def run(config: Config, context, ready: Callable[[], None], worker: int | None = None) -> int:
    """Serve until SIGTERM or SIGINT; `ready()` once listening. The exit code.

    `worker`: this process's index under `serve --workers` (shim.workers): the
    port is shared with the other workers (SO_REUSEPORT).
    """
    from aiohttp import web

    from shim.app import StartupError, create_app

    loop = new_loop(config)
    if loop is None:
        return 2
    try:
        web.run_app(create_app(config, worker=worker), host=config.host, port=config.port,
                    loop=loop, print=lambda _: ready(), shutdown_timeout=30,
                    ssl_context=context, reuse_port=True if worker is not None else None,
                    access_log=None)  # shim.logs logs requests without query strings
    except StartupError as exc:
        print(f"token-shim serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if not is_listen_error(exc):
            raise
        print(listen_error(config, exc), file=sys.stderr)
        return 1
    return 0


def new_loop(config: Config):
    """The event loop to serve on; None, with the reason on stderr, when it cannot be had."""
    try:
        return event_loop(config.event_loop)
    except ImportError:
        print("token-shim serve: event_loop uvloop (--event-loop, TOKEN_SHIM_EVENT_LOOP): uvloop "
              "is not installed (pip install 'token-shim[fast]')", file=sys.stderr)
        return None


def listen_error(config: Config, exc: OSError) -> str:
    return (f"token-shim serve: cannot listen on {config.host}:{config.port}: "
            f"{_reason(exc)} (options host and port: --host/--port, "
            f"TOKEN_SHIM_HOST/TOKEN_SHIM_PORT)")


def event_loop(choice: str):
    """The loop to serve on: uvloop for `uvloop`, and for `auto` when it is installed."""
    import asyncio

    if choice == "asyncio":
        return asyncio.new_event_loop()
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def is_listen_error(exc: OSError) -> bool:
    return isinstance(exc, socket.gaierror) or exc.errno in (
        errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "address already in use"
    return (exc.strerror or str(exc)).lower()


def migrate(config: Config) -> int:
    import asyncio

    from shim.store import display_url, open_store
    from shim.store.base import StoreUnavailable

    async def run() -> None:
        store = open_store(config.db)
        await store.open()
        await store.close()

    try:
        asyncio.run(run())
    except StoreUnavailable as exc:
        print(f"token-shim migrate: cannot open the database {display_url(config.db)} "
              f"(option db): {exc}", file=sys.stderr)
        return 1
    print(f"token-shim: migrations applied to {display_url(config.db)}", file=sys.stderr)
    return 0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def token(args: argparse.Namespace, now: Callable[[], dt.datetime] = utc_now) -> int:
    """Print the ExecCredential on stdout; errors on stderr with exit code 1."""
    from shim import exec_plugin

    target = exec_plugin.Target(args.server.rstrip("/"), args.user, args.cluster)
    try:
        found = exec_plugin.run(
            target, cache=exec_plugin.cache_file(os.environ, args.cache_dir), environ=os.environ,
            now=now(), ca_file=args.ca_file,
            warn=lambda message: print(message, file=sys.stderr),
        )
    except exec_plugin.PluginError as exc:
        print(f"token-shim token: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print("token-shim token: cancelled", file=sys.stderr)
        return 1
    print(json.dumps(found))
    return 0


def _missing_resources() -> str:
    """One line naming the data files the installed package lacks; "" when it is complete."""
    from shim import resources

    missing = resources.missing()
    if not missing:
        return ""
    return (f"token-shim: cannot start: the installed package lacks {'; '.join(missing)};"
            " reinstall token-shim from a complete wheel or source tree")


def main(argv: list[str] | None = None, now: Callable[[], dt.datetime] = utc_now) -> int:
    """`now` is the clock of the `token` command (tests pass a fixed one)."""
    parser, commands = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "token":
        return token(args, now)
    if args.command == "apiservice":
        return apiservice(args)
    if incomplete := _missing_resources():
        print(incomplete, file=sys.stderr)
        return 2
    try:
        config = load(args)
    except OSError as exc:
        print(f"token-shim {args.command}: --config {exc.filename}: {exc.strerror}",
              file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"token-shim {args.command}: {exc}", file=sys.stderr)
        return 2
    return {"serve": serve, "migrate": migrate}[args.command](config)
