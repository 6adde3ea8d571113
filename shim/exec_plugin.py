"""`token-shim token`: the kubectl exec credential plugin.

Prints an ExecCredential for one (server, user, cluster): the cached token while
it is alive, else a new kubeconfig token from a password login, which is then
cached. Standard library only, so kubectl never waits on heavy imports. Nothing
it prints to stderr holds the password or a token.
"""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import json
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

API_VERSION = "client.authentication.k8s.io/v1beta1"
LOGIN_PATH = "/v3-public/localProviders/local?action=login"
RENEW_EARLY = dt.timedelta(seconds=30)  # never hand kubectl a token about to expire
TIMEOUT_SECONDS = 30


class PluginError(Exception):
    """A failure reported on stderr with exit code 1."""


@dataclass(frozen=True)
class Target:
    server: str
    user: str
    cluster: str

    def matches(self, entry: Mapping[str, Any]) -> bool:
        return (entry.get("server"), entry.get("user"), entry.get("cluster")) == (
            self.server, self.user, self.cluster)


def cache_file(environ: Mapping[str, str], cache_dir: str | None = None) -> Path:
    """--cache-dir, else $TOKEN_SHIM_CACHE_DIR, else $XDG_CONFIG_HOME (~/.config)/token-shim."""
    directory = cache_dir or environ.get("TOKEN_SHIM_CACHE_DIR")
    if directory:
        return Path(directory) / "tokens.json"
    config_home = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config_home) / "token-shim" / "tokens.json"


def read_cache(path: Path, now: dt.datetime) -> list[dict[str, Any]]:
    """The live entries; expired, damaged or unreadable ones count as misses."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("entries", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [e for e in entries if isinstance(e, dict) and e.get("token") and _alive(e, now)]


def _alive(entry: Mapping[str, Any], now: dt.datetime) -> bool:
    stamp = entry.get("expirationTimestamp")
    if not stamp:
        return True  # the server gave no expiry: the token never expires
    try:
        expires = dt.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return False
    return expires.replace(tzinfo=expires.tzinfo or dt.timezone.utc) - RENEW_EARLY > now


def remember(entries: list[dict], target: Target, status: Mapping[str, Any]) -> list[dict]:
    """`entries` with the one entry for `target` replaced by `status`."""
    others = [e for e in entries if not target.matches(e)]
    key = {"server": target.server, "user": target.user, "cluster": target.cluster}
    return [*others, {**key, **status}]


def write_cache(path: Path, entries: list[dict]) -> None:
    """Readable by the owner only; replaced atomically so readers never see half a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"entries": entries}, fh, indent=2)
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def credential(status: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: status[k] for k in ("expirationTimestamp", "token") if status.get(k)}
    return {"kind": "ExecCredential", "apiVersion": API_VERSION, "spec": {}, "status": shown}


def tls_context(ca_file: str | None, environ: Mapping[str, str]) -> ssl.SSLContext:
    """Trust --ca-file, else the cluster CA kubectl passes in KUBERNETES_EXEC_INFO, else the system."""
    try:
        if ca_file:
            return ssl.create_default_context(cafile=ca_file)
        return ssl.create_default_context(cadata=_exec_info_ca(environ))
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise PluginError(f"cannot load the CA certificate: {exc}") from None


def _exec_info_ca(environ: Mapping[str, str]) -> str | None:
    try:
        cluster = json.loads(environ["KUBERNETES_EXEC_INFO"])["spec"]["cluster"]
        return base64.b64decode(cluster["certificate-authority-data"]).decode()
    except (KeyError, TypeError, ValueError):
        return None


def ask_terminal(prompt: str) -> str:
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))  # getpass would fall back to stdin
    except OSError:
        raise PluginError("no terminal to ask for the password; set TOKEN_SHIM_PASSWORD") from None
    return getpass.getpass(prompt)


def login(target: Target, password: str, context: ssl.SSLContext) -> dict[str, Any]:
    """POST the local provider's login for a kubeconfig token; the 201 body's token and expiry."""
    body = {"username": target.user, "password": password,
            "responseType": f"kubeconfig_{target.cluster}"}
    request = urllib.request.Request(
        target.server + LOGIN_PATH, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as resp:
            status, reply = resp.status, _json(resp.read())
    except urllib.error.HTTPError as err:
        raise PluginError(f"login as {target.user} at {target.server} failed: "
                          f"HTTP {err.code} {_message(err.read())}") from None
    except OSError as err:
        raise PluginError(f"cannot reach {target.server}: {getattr(err, 'reason', err)}") from None
    if status != 201 or not isinstance(reply, dict) or not reply.get("token"):
        raise PluginError(f"login at {target.server} gave an unexpected answer (HTTP {status})")
    return {"expirationTimestamp": reply.get("expiresAt") or "", "token": reply["token"]}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _message(raw: bytes) -> str:
    reply = _json(raw)
    return str(reply.get("message", "")) if isinstance(reply, dict) else ""


def run(target: Target, *, cache: Path, environ: Mapping[str, str], now: dt.datetime,
        ca_file: str | None = None, ask: Callable[[str], str] = ask_terminal,
        do_login: Callable[..., dict] | None = None, warn: Callable[[str], None] = print) -> dict:
    """The ExecCredential for `target`, logging in only on a cache miss."""
    if not target.server.startswith(("https://", "http://")):
        raise PluginError(f"--server must be an http(s) URL, not {target.server!r}")
    entries = read_cache(cache, now)
    cached = next((e for e in entries if target.matches(e)), None)
    if cached is not None:
        return credential(cached)
    password = environ.get("TOKEN_SHIM_PASSWORD") or ask(
        f"Password for {target.user} at {target.server}: ")
    status = (do_login or login)(target, password, tls_context(ca_file, environ))
    try:
        write_cache(cache, remember(entries, target, status))
    except OSError as exc:
        warn(f"token-shim token: cannot cache the token in {cache}: {exc.strerror}")
    return credential(status)
