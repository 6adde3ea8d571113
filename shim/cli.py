"""Command line: `serve`, `migrate`, `reset-password` and `token` (the kubectl exec
credential plugin).

Heavy imports (aiohttp, the config loader) happen inside the commands, so that
`token`, which kubectl runs before every call it makes, starts fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import os
import sys
from typing import TYPE_CHECKING, Callable

from shim.options import BY_NAME, OPTIONS, Option

if TYPE_CHECKING:
    from shim.config import Config


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(prog="token-shim")
    parser.add_argument("--version", action=_Version)
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
    reset = commands.add_parser(
        "reset-password", help="give 'admin' a new random password (printed once) and end "
                               "its sessions; the server may be running")
    reset.add_argument("--config", help="YAML config file")
    _add_option(reset, BY_NAME["db"])
    _add_option(reset, BY_NAME["audit_log"])
    token = commands.add_parser(
        "token", help="kubectl exec credential plugin: print an ExecCredential")
    _token_options(token)
    apiservice = commands.add_parser(
        "apiservice", help="print the Service and APIService YAML that put token-shim behind a "
                           "kube-apiserver as an aggregated API server")
    _apiservice_options(apiservice)
    return parser, {"serve": serve, "migrate": migrate, "reset-password": reset, "token": token,
                    "apiservice": apiservice}


class _Version(argparse.Action):
    """`--version`; looked up only when asked (`token` runs before every kubectl call)."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"token-shim {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("token-shim")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


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
    from shim.serving import banner, run

    line = banner(config, context)
    return run(config, context, ready=lambda: print(line, file=sys.stderr, flush=True))


def migrate(config: Config) -> int:
    import asyncio

    from shim.store.factory import display_url, open_store
    from shim.store.base import StoreUnavailable

    async def run() -> int:
        store = open_store(config.db)
        await store.open()
        await store.close()
        return store.migrations_applied

    try:
        applied = asyncio.run(run())
    except StoreUnavailable as exc:
        print(f"token-shim migrate: cannot open the database {display_url(config.db)} "
              f"(option db): {exc}", file=sys.stderr)
        return 1
    if applied:
        print(f"token-shim: {display_url(config.db)}: {applied} migration(s) applied",
              file=sys.stderr)
    else:
        print(f"token-shim: {display_url(config.db)}: already up to date", file=sys.stderr)
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
    from shim import packaged

    missing = packaged.missing()
    if not missing:
        return ""
    return (f"token-shim: cannot start: the installed package lacks {'; '.join(missing)};"
            " reinstall token-shim from a complete wheel or source tree")


def unrecognized(command: str, parser: argparse.ArgumentParser, extra: list[str]) -> str:
    """One line, with the closest flag for each mistyped one, instead of the whole usage."""
    known = [flag for flag in parser._option_string_actions if flag.startswith("--")]
    hints = []
    for word in extra:
        flag = word.partition("=")[0]
        close = difflib.get_close_matches(flag, known, n=1) if flag.startswith("--") else []
        if close:
            hints.append(f"did you mean {close[0]}?")
    hint = f" ({'; '.join(hints)})" if hints else ""
    return (f"token-shim {command}: unrecognized arguments: {' '.join(extra)}{hint}; "
            f"token-shim {command} --help lists the options")


def main(argv: list[str] | None = None, now: Callable[[], dt.datetime] = utc_now) -> int:
    """`now` is the clock of the `token` command (tests pass a fixed one)."""
    parser, commands = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        print(unrecognized(args.command, commands[args.command], extra), file=sys.stderr)
        return 2
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
    if args.command == "reset-password":
        from shim.reset_password import reset_password

        return reset_password(config)
    return {"serve": serve, "migrate": migrate}[args.command](config)
