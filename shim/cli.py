"""Command line: `serve`, `migrate` and `token` (the kubectl exec credential plugin).

Heavy imports (aiohttp, the config loader) happen inside the commands, so that
`token`, which kubectl runs before every call it makes, starts fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from shim.config import Config


def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML config file")
    parser.add_argument("--db", help="sqlite:///FILE (default ./token-shim.db) or postgresql://...")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="token-shim")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP server")
    _server_options(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--bootstrap-password", dest="bootstrap_password")
    serve.add_argument("--public-url", dest="public_url", help="external base URL for links")
    serve.add_argument("--purge-interval", dest="purge_interval", type=float, help="seconds")
    serve.add_argument("--max-body-bytes", dest="max_body_bytes", type=int)
    serve.add_argument("--log-level", dest="log_level")
    serve.add_argument("--log-format", dest="log_format", choices=("text", "json"))
    serve.add_argument("--audit-log", dest="audit_log", help="stderr (default), a file, or off")
    serve.add_argument("--metrics", choices=("off", "public", "admin"),
                       help="who may read /metrics (default admin)")
    _tls_options(serve)
    migrate = commands.add_parser("migrate", help="apply pending schema migrations and exit")
    _server_options(migrate)
    _token_options(commands.add_parser(
        "token", help="kubectl exec credential plugin: print an ExecCredential"))
    return parser


def _tls_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--tls-cert", dest="tls_cert", help="PEM certificate (chain) to serve HTTPS")
    serve.add_argument("--tls-key", dest="tls_key", help="PEM private key of --tls-cert")
    serve.add_argument("--tls-ca", dest="tls_ca", help="PEM CA to embed in generated kubeconfigs")
    serve.add_argument("--tls-self-signed", dest="tls_self_signed", action="store_true",
                       default=None, help="serve HTTPS with a CA and cert kept in the data dir")
    serve.add_argument("--tls-san", dest="tls_sans",
                       help="extra names/IPs (comma-separated) for the self-signed cert")
    serve.add_argument("--data-dir", dest="data_dir",
                       help="where the self-signed CA is kept (default: next to the SQLite file)")
    serve.add_argument("--exec-command", dest="exec_command",
                       help="command kubeconfigs run as exec plugin (default token-shim)")


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
    from aiohttp import web

    from shim import logs, tls
    from shim.app import create_app

    try:
        config = tls.resolve(config)
        context = tls.server_context(config)
    except (OSError, ValueError) as exc:
        print(f"token-shim: TLS: {exc}", file=sys.stderr)
        return 2
    logs.configure(config.log_level, config.log_format)
    scheme = "https" if context else "http"
    print(f"token-shim: serving on {scheme}://{config.host}:{config.port} ({_db_label(config.db)})",
          file=sys.stderr, flush=True)
    web.run_app(create_app(config), host=config.host, port=config.port, print=None,
                shutdown_timeout=30, ssl_context=context,
                access_log=None)  # shim.logs logs requests without query strings
    return 0


def migrate(config: Config) -> int:
    import asyncio

    from shim.store import open_store

    async def run() -> None:
        store = open_store(config.db)
        await store.open()
        await store.close()

    asyncio.run(run())
    print(f"token-shim: migrations applied to {_db_label(config.db)}", file=sys.stderr)
    return 0


def _db_label(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"  # never print a password


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


def main(argv: list[str] | None = None, now: Callable[[], dt.datetime] = utc_now) -> int:
    """`now` is the clock of the `token` command (tests pass a fixed one)."""
    args = _parser().parse_args(argv)
    if args.command == "token":
        return token(args, now)
    try:
        config = load(args)
    except (OSError, ValueError) as exc:
        print(f"token-shim: {exc}", file=sys.stderr)
        return 2
    return {"serve": serve, "migrate": migrate}[args.command](config)
