"""The one table of server options: each is a `serve` flag, a `TOKEN_SHIM_<NAME>`
environment variable and a config-file key, with one type, default and help.

`shim.config` builds the `Config` dataclass from it, `shim.cli` the flags and
`--help`, and `scripts/options-table.py` the README's configuration table.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable

MIN_PASSWORD_LENGTH = 12  # Rancher's default password-min-length
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True)
class Option:
    name: str
    type: str  # text, integer, number, boolean, list (comma-separated), output (text or off)
    default: Any
    help: str
    check: Callable[[Any], Any] | None = None  # after conversion: raise ValueError(rule)
    choices: tuple[str, ...] = ()
    shown_default: str | None = None  # how docs show a None default
    flag_name: str | None = None  # when the flag differs from --<name-with-dashes>
    secret: bool = False  # never echo the value in an error

    @property
    def env(self) -> str:
        return f"TOKEN_SHIM_{self.name.upper()}"

    @property
    def flag(self) -> str:
        return self.flag_name or "--" + self.name.replace("_", "-")

    @property
    def key(self) -> str:
        return self.name

    def shown(self) -> str:
        """The default as a user would write it."""
        if self.shown_default is not None:
            return self.shown_default
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        if isinstance(self.default, tuple):
            return ",".join(self.default)
        if isinstance(self.default, float) and self.default.is_integer():
            return str(int(self.default))
        return str(self.default)

    def convert(self, value: Any) -> Any:
        """The typed value; ValueError(rule) when `value` is not one."""
        if value is None:
            return None
        typed = _CONVERTERS[self.type](value) if not self.choices else _one_of(value, self.choices)
        if self.check is not None:
            self.check(typed)
        return typed


def _integer(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("is not an integer")
    try:
        return int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
    except ValueError:
        raise ValueError("is not an integer") from None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError("is not a number") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("is not a boolean (true or false)")


def _list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    raise ValueError("is not a list (comma-separated in a flag or the environment)")


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ValueError("is not a string")
    return str(value)


def _output(value: Any) -> str:
    return "off" if value is False else _text(value)  # YAML reads `off` as false


def _one_of(value: Any, allowed: tuple[str, ...]) -> str:
    text = "off" if value is False else str(value).strip().lower()  # YAML reads `off` as false
    if text not in allowed:
        raise ValueError(f"is not one of {', '.join(allowed)}")
    return text


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text, "integer": _integer, "number": _number, "boolean": _boolean, "list": _list,
    "output": _output,
}


def at_least(low: float) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value < low:
            raise ValueError(f"must be at least {low:g}")

    return check


def positive(value: float) -> None:
    if not value > 0:
        raise ValueError("is not a positive number")


def port_number(value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError("is not a port number (0-65535; 0 picks a free port)")


def password_length(value: str) -> None:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"is too short: {len(value)} characters, the minimum is "
                         f"{MIN_PASSWORD_LENGTH} (as Rancher's default password-min-length)")


def database_url(value: str) -> None:
    """sqlite:FILE (sqlite:///./rel.db, sqlite:////abs.db, sqlite::memory:) or postgresql://..."""
    scheme, colon, rest = value.partition(":")
    if not colon or scheme not in ("sqlite", "postgres", "postgresql"):
        raise ValueError("is not a database URL: use sqlite:///FILE or postgresql://USER@HOST/DB")
    if scheme == "sqlite":
        if not rest.strip("/"):
            raise ValueError("names no file: use sqlite:///FILE (e.g. sqlite:///./token-shim.db)")
        return
    parts = urllib.parse.urlsplit(value)
    hosts = [h for h in parts.netloc.rpartition("@")[2].split(",") if h]
    if not rest.startswith("//") or not hosts and "host=" not in parts.query:
        raise ValueError("is not a PostgreSQL URL: use postgresql://USER@HOST[:PORT]/DB"
                         " (or HOST1:PORT1,HOST2:PORT2 and ?target_session_attrs=read-write)")
    for host in hosts:  # libpq's multi-host form: every host:port checked
        try:
            urllib.parse.urlsplit(f"//{host}").port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise ValueError(f"is not a PostgreSQL URL ({host}: {exc})") from None


def public_url(value: str) -> None:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("is not an http:// or https:// URL")


OPTIONS: tuple[Option, ...] = (
    Option("host", "text", "127.0.0.1", "address to listen on"),
    Option("port", "integer", 8080, "TCP port to listen on", port_number),
    Option("workers", "integer", 1,
           "processes serving `port` together (SO_REUSEPORT), each with its own event loop and"
           " database connection; more than 1 needs a database file or PostgreSQL (see Using"
           " more than one core)", at_least(1)),
    Option("db", "text", "sqlite:///./token-shim.db",
           "`sqlite:///./FILE` (relative to the working directory), `sqlite:////ABSOLUTE/FILE`"
           " or `postgresql://USER@HOST/DB` (libpq's multi-host form"
           " `postgresql://USER@H1:5432,H2:5432/DB` too: see High availability); the start-up"
           " line names the file", database_url),
    Option("db_pool_size", "integer", 10,
           "PostgreSQL connections each process keeps at most (each `--workers` worker has its"
           " own pool, plus one listening connection); ignored on SQLite", at_least(1)),
    Option("bootstrap_password", "text", None,
           "password of `admin`, created on an empty store (at least 12 characters); ignored, "
           "with a warning, once `admin` exists", None,
           shown_default="generated, printed once", secret=True),
    Option("max_body_bytes", "integer", 64 * 1024, "larger request bodies get 413", at_least(1)),
    Option("body_timeout", "number", 10.0,
           "seconds a request body may take to arrive; then 408 and the connection is closed",
           positive),
    Option("max_in_flight", "integer", 512,
           "concurrent requests (counted once the body is in) before 429 with `Retry-After: 1`;"
           " `/healthz` is never refused", at_least(1)),
    Option("max_tokens_per_user", "integer", 1000,
           "live tokens (API, kubeconfig, ext; not login sessions) one user may hold; one"
           " more gets 403 until some are deleted or expire; 0: no cap, as in Rancher",
           at_least(0)),
    Option("purge_interval", "number", 3600.0,
           "seconds between purges of expired tokens (±10% jitter)", positive),
    Option("purge_batch", "integer", 200, "tokens deleted per purge transaction", at_least(1)),
    Option("cache_refresh_interval", "number", 5.0,
           "seconds: the most cached settings and features lag behind another replica's write",
           positive),
    Option("token_hashing_default", "boolean", False, "the default of the `token-hashing` feature"),
    Option("clusters", "list", ("local",), "cluster ids (comma-separated in a flag or variable)"),
    Option("public_url", "text", None,
           "base URL used in links and kubeconfigs; set it behind a proxy (any Host is then"
           " accepted, and only this URL is written)", public_url,
           shown_default="the request's Host, when it names this server (Security notes)"),
    Option("dashboard_dir", "text", None,
           "a built Rancher dashboard (scripts/build-dashboard.sh) to serve at /dashboard/ in "
           "place of the console", shown_default="none: the console is at /dashboard/"),
    Option("server_version", "text", "v2.13.0", "the Rancher version the v3 face reports"),
    Option("log_level", "text", "info", "process log level", choices=LOG_LEVELS),
    Option("log_format", "text", "text",
           "`text` or `json` (one JSON object per line) for the process and request logs",
           choices=("text", "json")),
    Option("event_loop", "text", "auto",
           "`auto` (uvloop when installed: `pip install 'token-shim[fast]'`, else asyncio's),"
           " `uvloop` (refuses to start without it) or `asyncio`",
           choices=("auto", "uvloop", "asyncio")),
    Option("audit_log", "output", "stderr",
           "where the audit log goes: `stderr`, a file path (appended to), or `off`"),
    Option("metrics", "text", "admin", "who may read `/metrics`: `off`, `public`, or `admin` "
           "(an admin's token)", choices=("off", "public", "admin")),
    Option("tls_cert", "text", None, "PEM certificate (chain) to serve HTTPS with",
           shown_default="none (plain HTTP)"),
    Option("tls_key", "text", None, "PEM private key of `tls_cert`", shown_default="none"),
    Option("tls_ca", "text", None, "PEM CA embedded in generated kubeconfigs",
           shown_default="none"),
    Option("tls_self_signed", "boolean", False,
           "serve HTTPS with a CA and server certificate created once in `tls_dir`"),
    Option("tls_sans", "list", (), "extra names/IPs (comma-separated) for the self-signed cert",
           shown_default="none", flag_name="--tls-san"),
    Option("tls_dir", "text", None,
           "where `tls_self_signed` keeps its CA and keys (directory 0700, keys 0600)",
           shown_default="`DATA_DIR/tls`"),
    Option("review_access", "text", "anyone",
           "who may post TokenReviews to `/v1/authenticate`: `anyone` (the reviewed token is "
           "the credential, as Rancher's kube-api-auth), `admin` (an admin's token-shim bearer) "
           "or `client-cert` (a TLS client certificate issued by `review_client_ca`)",
           choices=("anyone", "admin", "client-cert")),
    Option("review_client_ca", "text", None,
           "PEM CA whose client certificates may post TokenReviews (`review_access` "
           "`client-cert`; needs TLS)", shown_default="none"),
    Option("requestheader_client_ca", "text", None,
           "PEM CA of the front proxy (a kube-apiserver's `--proxy-client-cert-file`): a client "
           "certificate it issued makes `X-Remote-User`/`X-Remote-Group` trusted on the root "
           "ext API (aggregated API server; needs TLS)", shown_default="none (off)"),
    Option("requestheader_allowed_names", "list", (),
           "common names the front proxy's certificate may have (comma-separated)",
           shown_default="any name the CA issued"),
    Option("data_dir", "text", None, "the server's data directory", shown_default=(
        "the SQLite file's directory, else `$XDG_DATA_HOME/token-shim`")),
    Option("exec_command", "text", "token-shim",
           "the command kubeconfigs run as exec credential plugin"),
    Option("login_throttle_user_burst", "integer", 5,
           "password checks per username before backoff starts", at_least(1)),
    Option("login_throttle_ip_burst", "integer", 20,
           "password checks per client address before backoff starts", at_least(1)),
    Option("login_concurrent_checks", "integer", 4,
           "password checks one process runs at once; more get 429 with `Retry-After: 1` at"
           " once (a user's login from an address it succeeded from before is never refused)",
           at_least(1)),
    Option("login_throttle_base", "number", 1.0,
           "seconds of the first backoff; doubles per failure", positive),
    Option("login_throttle_max", "number", 300.0, "seconds: the longest backoff", positive),
    Option("login_throttle_decay", "number", 300.0,
           "seconds after which one failed login is forgotten", positive),
)
BY_NAME = {option.name: option for option in OPTIONS}


def markdown_table() -> str:
    """The README's configuration table."""
    rows = ["| option | flag | environment | default | meaning |", "|---|---|---|---|---|"]
    for o in OPTIONS:
        default = o.shown() if o.shown_default is not None else f"`{o.shown()}`"
        rows.append(f"| `{o.name}` | `{o.flag}` | `{o.env}` | {default} | {o.help} |")
    return "\n".join(rows) + "\n"
