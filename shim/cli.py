"""Command line: `serve` and `migrate` (and later `token`, the exec credential plugin)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from aiohttp import web

from shim.config import Config, build_config, load_file


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
    migrate = commands.add_parser("migrate", help="apply pending schema migrations and exit")
    _server_options(migrate)
    return parser


def load(args: argparse.Namespace) -> Config:
    flags = {k: v for k, v in vars(args).items() if k not in ("command", "config")}
    return build_config(load_file(args.config), os.environ, flags)


def serve(config: Config) -> int:
    from shim.app import create_app

    logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    print(f"token-shim: serving on http://{config.host}:{config.port} ({_db_label(config.db)})",
          file=sys.stderr, flush=True)
    web.run_app(create_app(config), host=config.host, port=config.port, print=None,
                shutdown_timeout=30)
    return 0


def migrate(config: Config) -> int:
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load(args)
    except (OSError, ValueError) as exc:
        print(f"token-shim: {exc}", file=sys.stderr)
        return 2
    return {"serve": serve, "migrate": migrate}[args.command](config)
